use std::fs;

use crate::util::*;

#[test]
fn formats_lists_the_builtins() {
    let out = run(&["formats"]);
    assert_eq!(out.status.code(), Some(0));
    let s = stdout(&out);
    for name in [
        "nginx:combined",
        "nginx:main",
        "apache:common",
        "apache:combined",
        "apache:vhost_combined",
        "json",
    ] {
        assert!(
            s.lines().any(|l| l.starts_with(name)),
            "{name} missing from:\n{s}"
        );
    }
    assert!(s.contains("$remote_addr - $remote_user [$time_local]"));
}

#[test]
fn formats_lists_a_users_grammar_file_too() {
    let mut args = vec!["formats"];
    args.extend(SAMPLE_GRAMMARS);
    let s = stdout(&run(&args));
    assert!(
        s.lines().any(|l| l.contains("front") && l.contains("user")),
        "{s}"
    );
    assert!(
        s.lines()
            .any(|l| l.contains("egress") && l.contains("user")),
        "{s}"
    );
    assert!(
        s.lines().any(|l| l.contains("uid") && l.contains("user")),
        "{s}"
    );
}

#[test]
fn formats_check_names_the_format_of_each_sample_file() {
    let args: Vec<&str> = ["formats", "check"]
        .into_iter()
        .chain(SAMPLE_GRAMMARS)
        .chain(["samples/logs"])
        .collect();
    let out = run(&args);
    let s = stdout(&out);
    let line_of = |f: &str| {
        s.lines()
            .find(|l| l.starts_with(f))
            .unwrap_or_else(|| panic!("{f} in\n{s}"))
            .to_string()
    };
    assert!(line_of("samples/logs/web-1/nginx/access.log.2.gz").contains("front"));
    assert!(line_of("samples/logs/egress-1/nginx/twilio-egress.log:").contains("egress"));
    assert!(line_of("samples/logs/web-2/apache2/access.log").contains("uid"));
    assert!(line_of("samples/logs/worker-1/worker.log-20261120.zst").contains("json"));
    assert!(line_of("samples/logs/worker-1/worker.log-20261120.zst").contains("zstd"));
    assert!(line_of("samples/logs/web-1/app/clinic.log:").contains("0 not parsed"));
    // The TLS handshake line in the front log is read as a line (request line unparsed inside it).
    assert!(
        line_of("samples/logs/web-1/nginx/access.log.1").contains(" 0 not parsed"),
        "{s}"
    );
}

#[test]
fn formats_check_cites_unparsed_lines_with_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let good =
        r#"192.168.1.1 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 2326 "-" "curl/8.0""#;
    let text = format!("{good}\n{good}\nthis is not an access log line\n{good}\n");
    fs::write(dir.path().join("a.log"), text).unwrap();
    let out = run_in(dir.path(), &["formats", "check", "a.log"]);
    assert_eq!(out.status.code(), Some(3));
    let s = stdout(&out);
    assert!(
        s.contains("a.log: format nginx:combined") || s.contains("a.log: format apache:combined"),
        "{s}"
    );
    assert!(s.contains("3 parsed, 1 not parsed"), "{s}");
    assert!(s.contains("a.log:3:"), "{s}");
}

#[test]
fn a_path_naming_apache_or_nginx_breaks_the_combined_tie() {
    let dir = tempfile::tempdir().unwrap();
    let line =
        r#"192.168.1.1 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 2326 "-" "curl/8.0""#;
    for sub in ["apache2", "nginx", "logs"] {
        fs::create_dir_all(dir.path().join(sub)).unwrap();
        fs::write(
            dir.path().join(sub).join("access.log"),
            format!("{line}\n{line}\n"),
        )
        .unwrap();
    }
    let s = stdout(&run_in(dir.path(), &["formats", "check", "."]));
    assert!(
        s.contains("./apache2/access.log: format apache:combined"),
        "{s}"
    );
    assert!(
        s.contains("./nginx/access.log: format nginx:combined"),
        "{s}"
    );
    assert!(
        s.contains("./logs/access.log: format nginx:combined"),
        "{s}"
    );
}
