use super::*;

fn toks(text: &str) -> Vec<String> {
    let norm = normalize(text);
    Words::new(&norm)
        .tokens()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn tokenizes_words_with_inner_hyphens_and_underscores() {
    assert_eq!(
        toks("Fix the end-to-end test_case -- now! foo- -bar"),
        ["fix", "the", "end-to-end", "test_case", "now", "foo", "bar"]
    );
    assert_eq!(
        toks("Doesn’t work, isn't it"),
        ["doesnt", "work", "isnt", "it"]
    );
    assert_eq!(
        toks("ÉCOLE naïve 日本語 🎉 ok"),
        ["école", "naïve", "日本語", "ok"]
    );
    assert!(toks("").is_empty());
    assert!(toks("  ✅ -- ... ").is_empty());
}

#[test]
fn whole_words_only() {
    with_words("The author added OAuth, not auth.", |w| {
        assert_eq!(w.count("auth"), 1);
        assert_eq!(w.count("author"), 1);
        assert_eq!(w.count("oauth"), 1);
        assert_eq!(w.count("aut"), 0);
    });
    with_words("authentication authors", |w| assert!(!w.contains("auth")));
}

#[test]
fn multi_word_phrases_and_case() {
    with_words(
        "Here is the Stack Trace; another stack\ntrace; stack trace again",
        |w| {
            assert_eq!(w.count("stack trace"), 2);
            assert_eq!(w.count("STACK TRACE"), 2);
            assert_eq!(w.find("stack trace"), vec![3, 8]);
        },
    );
    with_words("update package.json and next.js", |w| {
        assert!(w.contains("package.json"));
        assert!(w.contains("next.js"));
        assert!(w.contains("json"));
    });
}

#[test]
fn phrases_do_not_cross_clause_breaks() {
    with_words("It works. Now go", |w| assert!(!w.contains("works now")));
    with_words("it works now", |w| assert!(w.contains("works now")));
}

#[test]
fn matches_do_not_overlap() {
    with_words("a a a", |w| assert_eq!(w.count("a a"), 1));
    with_words("a a a a", |w| assert_eq!(w.count("a a"), 2));
}

#[test]
fn apostrophe_variants_are_equal() {
    with_words("it doesn’t work", |w| {
        assert!(w.contains("doesn't work"));
        assert!(w.contains("doesnt work"));
    });
}

#[test]
fn negation_window_stops_at_clause_break() {
    with_words("this is not really working", |w| {
        let p = w.find("working")[0];
        assert!(w.is_negated(p, 2));
        assert!(!w.is_negated(p, 1));
    });
    with_words("No, it is working", |w| {
        let p = w.find("working")[0];
        assert!(!w.is_negated(p, 3));
        assert!(!w.contains_unnegated("nothing", 2));
        assert!(w.contains_unnegated("working", 3));
    });
    with_words("", |w| assert!(!w.is_negated(5, 3)));
}

#[test]
fn empty_phrase_and_text() {
    with_words("", |w| {
        assert!(w.is_empty());
        assert_eq!(w.count("anything"), 0);
    });
    with_words("abc", |w| {
        assert_eq!(w.count(""), 0);
        assert_eq!(w.count("✅"), 0);
    });
    assert_eq!(phrase_len("here's the fix"), 3);
    assert_eq!(phrase_len("✅"), 0);
    let p = Phrase::new("It’s Working");
    assert_eq!(p.len(), 2);
    assert!(p.is_multi_word());
    with_words("its working", |w| assert_eq!(count_phrase(w, &p), 1));
    assert!(Phrase::new("").is_empty());
}

#[test]
fn phrase_set_candidates_and_matches() {
    let set = PhraseSet::new([
        "stack trace",
        "bug",
        "auth",
        "trace",
        "✅",
        "stack overflow",
    ]);
    with_words("Bug: stack trace, bug", |w| {
        assert_eq!(w.candidates(&set), vec![0, 1, 3, 5]);
        assert_eq!(
            w.matches_in(&set),
            vec![(0, vec![1]), (1, vec![0, 3]), (3, vec![2])]
        );
    });
    // Only phrases whose first word occurs are candidates, however many distinct words the text has.
    let long = "a b c d e f g h bug stack trace";
    with_words(long, |w| {
        assert_eq!(w.candidates(&set), vec![0, 1, 3, 5]);
        assert_eq!(
            w.matches_in(&set),
            vec![(0, vec![9]), (1, vec![8]), (3, vec![10])]
        );
    });
    with_words("", |w| assert!(w.matches_in(&set).is_empty()));
    let list = [
        Phrase::new("bug"),
        Phrase::new("auth"),
        Phrase::new("stack trace"),
    ];
    with_words("bug bug stack trace", |w| {
        assert_eq!(w.count_distinct(&list), 2)
    });
}

#[test]
fn normalize_matches_a_per_char_lowercase() {
    for text in [
        "plain lowercase",
        "Don't STOP",
        "ÉCOLE naïve İstanbul ΣΑΣ \u{212A}elvin ǅ",
        "it’s ʼquotedʼ ＇x＇ ‘y’",
        "日本語 🎉 ok",
        "",
    ] {
        let expected: String = text
            .chars()
            .filter(|c| !is_apostrophe(*c))
            .flat_map(char::to_lowercase)
            .collect();
        assert_eq!(normalize(text), expected, "{text:?}");
    }
    assert!(matches!(normalize("already normal"), Cow::Borrowed(_)));
}

#[test]
fn words_outside_the_vocabulary_still_match() {
    assert!(VOCABULARY.id("zyxwvut").is_none());
    assert!(VOCABULARY.id("auth").is_some());
    with_words("Zyxwvut auth zyxwvut qqq, zyxwvut qqq", |w| {
        assert_eq!(w.find("zyxwvut qqq"), vec![2, 4]);
        assert_eq!(w.count("auth zyxwvut"), 1);
    });
    let set = PhraseSet::new(["zyxwvut", "auth"]);
    assert!(!set.is_fully_indexed());
    with_words("auth zyxwvut", |w| {
        assert_eq!(w.matches_in(&set), vec![(0, vec![1]), (1, vec![0])]);
    });
}

#[test]
fn negators_are_flagged() {
    with_words("it doesn't work, NOT really", |w| {
        let flags: Vec<bool> = (0..w.len()).map(|i| w.is_negator(i)).collect();
        assert_eq!(flags, [false, true, false, true, false]);
        assert!(!w.is_negator(99));
    });
}

#[test]
fn large_text_is_fast_enough() {
    let text = "the quick brown fox jumps over the lazy dog. ".repeat(3000);
    with_words(&text, |w| {
        assert_eq!(w.count("lazy dog"), 3000);
        assert_eq!(w.count("dog the"), 0);
    });
}
