//! TLS for the fake: a certificate authority made for one test, and a server certificate it signed for
//! `localhost` and `127.0.0.1`. A client trusts the fake by trusting `ca_pem` (for example with
//! `SSL_CERT_FILE`, which rustls-native-certs reads).

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// The PEM files of a test CA and of the server certificate it signed.
#[derive(Debug, Clone)]
pub struct TestCertificates {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCertificates {
    /// A new CA and a server certificate for `localhost` and `127.0.0.1`.
    pub fn new() -> Result<TestCertificates, rcgen::Error> {
        make()
    }
}

fn make() -> Result<TestCertificates, rcgen::Error> {
    let mut ca = CertificateParams::new(Vec::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "qdrant-fake test CA");
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let mut server =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    server.use_authority_key_identifier_extension = true;
    server
        .extended_key_usages
        .push(rcgen::ExtendedKeyUsagePurpose::ServerAuth);
    let server_key = KeyPair::generate()?;
    let server_cert = server.signed_by(&server_key, &issuer)?;
    Ok(TestCertificates {
        ca_pem: ca_cert.pem(),
        cert_pem: server_cert.pem(),
        key_pem: server_key.serialize_pem(),
    })
}
