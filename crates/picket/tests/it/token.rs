//! `picket token`: issue a user's token (shown once) and revoke all of them.

use std::process::Command;

#[test]
fn tokens_are_issued_once_and_revoked_by_user() {
    let dir = std::env::temp_dir().join(format!("picket-token-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("site.toml");
    std::fs::write(
        &config,
        "[site]\nname = \"T\"\norigin = { lat_deg = 31.3, lon_deg = -109.9 }\nsector = \"s\"\n\n\
         [[unit]]\nid = \"p\"\nkind = \"fixed\"\ncenter = { lat_deg = 31.3, lon_deg = -109.9 }\nradius_m = 100.0\n\n\
         [[user]]\nname = \"watch\"\nrole = \"operator\"\nsectors = [\"s\"]\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_picket"))
            .args(["token", "--config"])
            .arg(&config)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, a, _) = run(&["--user", "watch"]);
    assert_eq!(code, Some(0));
    let (_, b, _) = run(&["--user", "watch"]);
    assert_eq!(a.trim().len(), 64, "a 256-bit token in hex: {a}");
    assert_ne!(a, b, "every token is new");
    let db = std::fs::read(dir.join("picket.sqlite")).unwrap();
    assert!(
        !db.windows(64).any(|w| w == a.trim().as_bytes()),
        "only the hash is stored"
    );
    let (code, out, _) = run(&["--user", "watch", "--revoke"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("revoked 2 token(s)"), "{out}");
    let (code, _, err) = run(&["--user", "nobody"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no user `nobody`"), "{err}");
}
