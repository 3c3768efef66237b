//! The keys leak reports must be signed with, when `TESSERA_LEAK_REPORT_KEYS` names a file of
//! them. GitHub's secret scanning signs each report: ECDSA P-256 over the body (SHA-256),
//! DER, base64 in `Github-Public-Key-Signature`, and publishes its public keys as PEM. Without
//! the file, anyone may report (holding a secret is proof enough); with it, only the scanner.
use base64::Engine;
use p256::ecdsa::{signature::Verifier, DerSignature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;

use crate::server::error::{Result, ServiceError};

#[derive(Clone, Debug)]
pub struct ReporterKeys(Vec<VerifyingKey>);

const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const END: &str = "-----END PUBLIC KEY-----";

impl ReporterKeys {
    /// Every `PUBLIC KEY` PEM block in `text`, or every `key` of GitHub's JSON answer
    /// (`{"public_keys": [{"key_identifier", "key", "is_current"}]}`) as it is downloaded.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let pems: Vec<String> = if text.trim_start().starts_with('{') {
            let value: serde_json::Value =
                serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
            value["public_keys"]
                .as_array()
                .ok_or("the JSON has no \"public_keys\" list")?
                .iter()
                .filter_map(|key| key["key"].as_str().map(str::to_owned))
                .collect()
        } else {
            text.split(BEGIN)
                .skip(1)
                .map(|rest| match rest.split_once(END) {
                    Some((body, _)) => Ok(format!("{BEGIN}{body}{END}\n")),
                    None => Err(format!("a key has no {END:?} line")),
                })
                .collect::<std::result::Result<_, _>>()?
        };
        let keys = pems
            .iter()
            .enumerate()
            .map(|(i, pem)| {
                VerifyingKey::from_public_key_pem(pem.trim())
                    .map_err(|e| format!("key {} is not a P-256 public key: {e}", i + 1))
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(format!("no public key found (expected {BEGIN} blocks)"));
        }
        Ok(Self(keys))
    }

    /// Whether `signature` (base64 DER, as the header carries it) signs `body` with one of
    /// the keys.
    pub fn verify(&self, body: &[u8], signature: Option<&str>) -> Result<()> {
        let signature = signature
            .and_then(|text| {
                base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .ok()
            })
            .and_then(|der| DerSignature::try_from(der.as_slice()).ok())
            .ok_or(ServiceError::BadSignature)?;
        if self
            .0
            .iter()
            .any(|key| key.verify(body, &signature).is_ok())
        {
            Ok(())
        } else {
            Err(ServiceError::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::{signature::Signer, SigningKey};
    use p256::pkcs8::{EncodePublicKey, LineEnding};

    fn key_pair(seed: u8) -> (SigningKey, String) {
        let signing = SigningKey::from_slice(&[seed; 32]).unwrap();
        let pem = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        (signing, pem)
    }

    fn sign(key: &SigningKey, body: &[u8]) -> String {
        let signature: DerSignature = key.sign(body);
        base64::engine::general_purpose::STANDARD.encode(signature.as_bytes())
    }

    #[test]
    fn only_a_signature_of_the_body_by_a_listed_key_verifies() {
        let (first, first_pem) = key_pair(1);
        let (second, second_pem) = key_pair(2);
        let (stranger, _) = key_pair(3);
        let keys = ReporterKeys::parse(&format!("{first_pem}\n{second_pem}")).unwrap();
        let body = br#"[{"token":"tsr_x","type":"tessera","url":"https://x"}]"#;
        assert!(keys.verify(body, Some(&sign(&first, body))).is_ok());
        assert!(keys.verify(body, Some(&sign(&second, body))).is_ok());
        for refused in [
            Some(sign(&stranger, body)),
            Some(sign(&first, b"[]")),
            Some("not base64!".to_owned()),
            Some(String::new()),
            None,
        ] {
            assert!(
                matches!(
                    keys.verify(body, refused.as_deref()),
                    Err(ServiceError::BadSignature)
                ),
                "{refused:?}"
            );
        }
        let mut tampered = body.to_vec();
        tampered[3] = b'T';
        assert!(keys.verify(&tampered, Some(&sign(&first, body))).is_err());
    }

    #[test]
    fn keys_come_as_pem_or_as_githubs_json() {
        let (signing, pem) = key_pair(4);
        let json = serde_json::json!({"public_keys": [
            {"key_identifier": "abc", "key": pem, "is_current": true}
        ]})
        .to_string();
        let keys = ReporterKeys::parse(&json).unwrap();
        assert!(keys.verify(b"x", Some(&sign(&signing, b"x"))).is_ok());
        for bad in [
            "",
            "hello",
            "{\"keys\": []}",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n",
        ] {
            assert!(ReporterKeys::parse(bad).is_err(), "{bad:?}");
        }
    }
}
