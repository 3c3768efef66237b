//! Secret scanners find Tessera tokens: the gitleaks rule in docs/ matches generated tokens
//! wherever they sit and nothing of a near miss, and docs/check_token.py tells real tokens
//! from typos offline, as the README describes.
use app::server::secrets;

const RULE: &str = include_str!("../../docs/gitleaks.toml");

/// The rule's regex and entropy threshold, as gitleaks reads them.
fn rule() -> (regex::Regex, f64) {
    let field = |name: &str| {
        RULE.lines()
            .find_map(|line| line.strip_prefix(&format!("{name} = ")))
            .unwrap_or_else(|| panic!("{name} in the rule"))
    };
    let pattern = field("regex")
        .trim_start_matches("'''")
        .trim_end_matches("'''");
    (
        regex::Regex::new(pattern).expect("the rule's regex"),
        field("entropy").parse().expect("entropy"),
    )
}

/// Shannon entropy per character, as gitleaks computes it for `entropy`.
fn entropy(text: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in text.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = text.chars().count() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// What the rule reports in `text`.
fn findings(text: &str) -> Vec<String> {
    let (regex, threshold) = rule();
    regex
        .captures_iter(text)
        .map(|c| c[1].to_owned())
        .filter(|secret| entropy(secret) >= threshold)
        .collect()
}

#[test]
fn the_gitleaks_rule_finds_generated_tokens_in_any_setting() {
    for _ in 0..500 {
        let token = secrets::new_access_token();
        for text in [
            token.clone(),
            format!("TESSERA_TOKEN={token}\n"),
            format!("{{\"token\": \"{token}\"}}"),
            format!("Authorization: Bearer {token}"),
            format!("curl -H 'Authorization: Bearer {token}' https://x"),
            format!("url = \"https://host/?t={token}&x=1\""),
        ] {
            assert_eq!(findings(&text), std::slice::from_ref(&token), "{text}");
        }
    }
}

#[test]
fn the_gitleaks_rule_ignores_near_misses() {
    let token = secrets::new_access_token();
    let body = &token[4..];
    for near in [
        format!("tsr_{}", &body[1..]),
        format!("{token}a"),
        format!("x{token}"),
        format!("_{token}"),
        format!("TSR_{body}"),
        format!("tsk_{body}"),
        format!("tsr_{}-{}", &body[..20], &body[21..]),
        format!("tsr_{}", "x".repeat(38)),
        format!("tsr_{}", "0123456789".repeat(4).get(..38).unwrap()),
        "tsr_YOUR_TOKEN_HERE".to_owned(),
    ] {
        assert!(findings(&near).is_empty(), "{near}");
    }
}

#[test]
fn the_offline_check_tells_tokens_from_typos() {
    // On standard input, as the README advises (arguments show in the process list).
    let check = |tokens: &[&str]| {
        use std::io::Write;
        let mut child = std::process::Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/check_token.py"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("python3");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(tokens.join("\n").as_bytes()).unwrap();
        drop(input);
        child.wait().expect("check_token.py").success()
    };
    let tokens: Vec<String> = (0..50).map(|_| secrets::new_access_token()).collect();
    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    assert!(check(&refs));
    for token in &tokens[..10] {
        // One character changed anywhere is caught by the checksum.
        for at in [4, 20, 35, 36, 41] {
            let mut typo = token.clone().into_bytes();
            typo[at] = if typo[at] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(typo).unwrap();
            assert_eq!(check(&[&typo]), secrets::is_well_formed(&typo), "{typo}");
            assert!(!check(&[&typo]), "{typo}");
        }
    }
    assert!(!check(&[&tokens[0][..41]]));
}
