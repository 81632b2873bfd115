//! Past one machine: extract shards in parallel (the map step), then
//! investigate the merged map files; the report must be byte-identical to
//! one run over everything.

use std::fs;
use std::process::Command;

use crate::util::*;

/// Run `script` with GNU parallel when it is installed (`.ci/run` installs
/// it), else with `xargs -P 2`, as a fleet runner would.
fn run_parallel(dir: &std::path::Path, args_file: &str, template: &str) {
    let bin = assert_cmd::cargo::cargo_bin("sidtrace");
    let have_parallel = Command::new("parallel")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let cmd = template.replace("SIDTRACE", &bin.to_string_lossy());
    let shell = if have_parallel {
        format!("parallel --will-cite -j 2 --halt now,fail=1 '{cmd}' :::: {args_file}")
    } else {
        format!("xargs -P 2 -I{{}} sh -c '{cmd}' < {args_file}")
    };
    let out = Command::new("sh")
        .arg("-c")
        .arg(&shell)
        .current_dir(dir)
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "{shell}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sharded_extract_then_investigate_equals_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let shards = [
        "samples/logs/web-1",
        "samples/logs/web-2",
        "samples/logs/worker-1",
        "samples/logs/egress-1",
    ];
    let list = tmp.path().join("shards.txt");
    fs::write(&list, shards.join("\n") + "\n").unwrap();
    let list = list.to_string_lossy().into_owned();
    let out_dir = tmp.path().to_string_lossy().into_owned();
    let g = SAMPLE_GRAMMARS.join(" ");
    let root = root();

    // Round one: the ids each shard's POSTs carry; their union goes to every shard.
    run_parallel(
        &root,
        &list,
        &format!("SIDTRACE extract --quiet {g} --ids-only {{}} > {out_dir}/$(basename {{}}).ids"),
    );
    let mut all_ids = String::new();
    for s in &shards {
        let name = s.rsplit('/').next().unwrap();
        all_ids += &fs::read_to_string(tmp.path().join(format!("{name}.ids"))).unwrap();
    }
    assert!(all_ids.lines().count() > 10);
    fs::write(tmp.path().join("all.ids"), all_ids).unwrap();

    // Round two: each shard's map file.
    run_parallel(
        &root,
        &list,
        &format!("SIDTRACE extract --quiet {g} --map --ids {out_dir}/all.ids {{}} > {out_dir}/$(basename {{}}).map"),
    );
    let maps: Vec<String> = shards
        .iter()
        .map(|s| format!("{out_dir}/{}.map", s.rsplit('/').next().unwrap()))
        .collect();

    for format in ["json", "text", "markdown"] {
        let whole = run(&sample_args(
            "investigate",
            &["--format", format, "--twilio", "samples/twilio"],
            &["samples/logs"],
        ));
        let mut merged = vec![
            "investigate",
            "--quiet",
            "--format",
            format,
            "--twilio",
            "samples/twilio",
        ];
        // In reverse order: the result must not depend on it.
        merged.extend(maps.iter().rev().map(String::as_str));
        let sharded = run(&merged);
        assert_eq!(whole.status.code(), Some(0));
        assert_eq!(sharded.status.code(), Some(0), "{}", stderr(&sharded));
        assert!(!whole.stdout.is_empty());
        assert!(
            whole.stdout == sharded.stdout,
            "{format} report differs between one run and the merged shards"
        );
    }

    // Map files concatenate (and so do gzip members).
    let mut cat = Vec::new();
    for m in &maps {
        cat.extend(gzip(&fs::read(m).unwrap()));
    }
    let catted = tmp.path().join("all-maps.jsonl.gz");
    fs::write(&catted, cat).unwrap();
    let c = catted.to_string_lossy().into_owned();
    let one = sample_args(
        "investigate",
        &["--format", "json", "--twilio", "samples/twilio"],
        &["samples/logs"],
    );
    assert_eq!(
        run(&one).stdout,
        run(&[
            "investigate",
            "--quiet",
            "--format",
            "json",
            "--twilio",
            "samples/twilio",
            &c
        ])
        .stdout
    );

    // extract reads map files too, and lists the same attempts.
    let mut one = vec!["extract", "--quiet"];
    one.extend(SAMPLE_GRAMMARS);
    one.push("samples/logs");
    let mut merged = vec!["extract", "--quiet"];
    merged.extend(maps.iter().map(String::as_str));
    assert_eq!(run(&one).stdout, run(&merged).stdout);
}

#[test]
fn a_map_file_is_recognised_by_content_and_bad_lines_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = vec!["extract", "--quiet", "--map"];
    args.extend(SAMPLE_GRAMMARS);
    args.push("samples/logs/worker-1");
    let map = run(&args);
    assert_eq!(map.status.code(), Some(0));
    let mut text = String::from_utf8(map.stdout).unwrap();
    text.push_str("{\"not\": \"a yield\"}\n");
    let path = tmp.path().join("worker.anything");
    fs::write(&path, gzip(text.as_bytes())).unwrap();
    let p = path.to_string_lossy().into_owned();
    let out = run(&["extract", &p]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("not a map record"),
        "{}",
        stderr(&out)
    );
    assert!(json_lines(&stdout(&out)).len() > 50);
}
