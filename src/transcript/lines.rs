//! Reads complete `\n`-terminated lines from a byte offset, in bounded blocks. A partial last line is left for
//! the next run; a line longer than the limit is reported and skipped without being buffered whole.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

const BLOCK: usize = 1 << 20;

/// One item read from the file.
#[derive(Debug, PartialEq, Eq)]
pub enum RawLineItem<'a> {
    /// A complete line (without its `\n`) starting at `offset`.
    Line { offset: u64, bytes: &'a [u8] },
    /// A complete line longer than the limit, skipped.
    Oversized { offset: u64, len: u64 },
}

/// Reads complete lines from a byte offset, never a half-written last line, each with its offset.
pub struct LineReader {
    file: File,
    /// Absolute offset of `buf[0]`.
    buf_start: u64,
    buf: Vec<u8>,
    /// Index in `buf` of the first unconsumed byte.
    pos: usize,
    /// Do not read past this offset (the size seen when the file was opened).
    limit: u64,
    eof: bool,
    max_line: usize,
    /// Start of an oversized line being skipped.
    skipping_from: Option<u64>,
}

impl LineReader {
    /// Reads `file` from `offset` up to `limit` bytes (its size when the run looked at it).
    pub fn new(mut file: File, offset: u64, limit: u64, max_line: usize) -> std::io::Result<Self> {
        file.seek(SeekFrom::Start(offset))?;
        Ok(LineReader {
            file,
            buf_start: offset,
            buf: Vec::new(),
            pos: 0,
            limit,
            eof: offset >= limit,
            max_line: max_line.max(1),
            skipping_from: None,
        })
    }

    /// Offset just after the last complete line returned: where the next run starts.
    pub fn consumed(&self) -> u64 {
        self.skipping_from
            .unwrap_or(self.buf_start + self.pos as u64)
    }

    pub fn next_line(&mut self) -> std::io::Result<Option<RawLineItem<'_>>> {
        loop {
            if let Some(nl) = memchr::memchr(b'\n', &self.buf[self.pos..]) {
                let start = self.pos;
                self.pos = start + nl + 1;
                let line_start = self.buf_start + start as u64;
                if let Some(from) = self.skipping_from.take() {
                    let len = line_start + nl as u64 - from;
                    return Ok(Some(RawLineItem::Oversized { offset: from, len }));
                }
                if nl > self.max_line {
                    return Ok(Some(RawLineItem::Oversized {
                        offset: line_start,
                        len: nl as u64,
                    }));
                }
                return Ok(Some(RawLineItem::Line {
                    offset: line_start,
                    bytes: &self.buf[start..start + nl],
                }));
            }
            if self.eof {
                return Ok(None);
            }
            // No complete line buffered: drop what was consumed, or the oversized prefix, then read more.
            if self.skipping_from.is_none() && self.buf.len() - self.pos > self.max_line {
                self.skipping_from = Some(self.buf_start + self.pos as u64);
            }
            if self.skipping_from.is_some() {
                self.buf_start += self.buf.len() as u64;
                self.buf.clear();
            } else {
                self.buf.drain(..self.pos);
                self.buf_start += self.pos as u64;
            }
            self.pos = 0;
            let read_to = self.buf_start + self.buf.len() as u64;
            let want = (self.limit.saturating_sub(read_to)).min(BLOCK as u64) as usize;
            if want == 0 {
                self.eof = true;
                continue;
            }
            let old = self.buf.len();
            self.buf.resize(old + want, 0);
            let n = read_some(&mut self.file, &mut self.buf[old..])?;
            self.buf.truncate(old + n);
            if n == 0 {
                self.eof = true;
            }
        }
    }
}

fn read_some(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn reader(content: &[u8], offset: u64, max_line: usize) -> LineReader {
        let mut f = tempfile::tempfile().unwrap_or_else(|e| panic!("tempfile: {e}"));
        f.write_all(content)
            .unwrap_or_else(|e| panic!("write: {e}"));
        LineReader::new(f, offset, content.len() as u64, max_line)
            .unwrap_or_else(|e| panic!("open: {e}"))
    }

    fn collect(r: &mut LineReader) -> Vec<(u64, String)> {
        let mut v = Vec::new();
        while let Some(item) = r.next_line().unwrap_or(None) {
            v.push(match item {
                RawLineItem::Line { offset, bytes } => {
                    (offset, String::from_utf8_lossy(bytes).into_owned())
                }
                RawLineItem::Oversized { offset, len } => (offset, format!("<oversized {len}>")),
            });
        }
        v
    }

    #[test]
    fn yields_complete_lines_and_leaves_partial_tail() {
        let mut r = reader(b"a\nbb\ncc", 0, 100);
        assert_eq!(collect(&mut r), vec![(0, "a".into()), (2, "bb".into())]);
        assert_eq!(r.consumed(), 5);
    }

    #[test]
    fn resumes_from_an_offset() {
        let mut r = reader(b"a\nbb\ncc\n", 2, 100);
        assert_eq!(collect(&mut r), vec![(2, "bb".into()), (5, "cc".into())]);
        assert_eq!(r.consumed(), 8);
    }

    #[test]
    fn skips_oversized_lines_across_blocks() {
        let mut content = b"ok\n".to_vec();
        content.extend(std::iter::repeat_n(b'x', 3 * BLOCK + 7));
        content.extend_from_slice(b"\nafter\n");
        let mut r = reader(&content, 0, 1000);
        let items = collect(&mut r);
        assert_eq!(items[0], (0, "ok".into()));
        assert_eq!(items[1], (3, format!("<oversized {}>", 3 * BLOCK + 7)));
        assert_eq!(items[2].1, "after");
        assert_eq!(r.consumed(), content.len() as u64);
    }

    #[test]
    fn oversized_partial_tail_is_not_consumed() {
        let mut content = b"ok\n".to_vec();
        content.extend(std::iter::repeat_n(b'x', 5000));
        let mut r = reader(&content, 0, 1000);
        assert_eq!(collect(&mut r), vec![(0, "ok".into())]);
        assert_eq!(r.consumed(), 3);
    }

    #[test]
    fn long_lines_within_limit_span_blocks() {
        let mut content = vec![b'y'; BLOCK + 10];
        content.push(b'\n');
        let mut r = reader(&content, 0, 2 * BLOCK);
        let items = collect(&mut r);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].1.len(), BLOCK + 10);
    }
}
