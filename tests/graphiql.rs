//! GraphiQL served from the binary: no URL of another host, every file it loads served,
//! and, in a real headless Chromium cut off from every other host, the editor and the
//! Docs pane filled with the schema once a token is given.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::TestApp;

async fn get(t: &TestApp, path: &str) -> reqwest::Response {
    t.client
        .get(format!("{}{path}", t.base))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_page_names_no_other_host_and_every_file_it_loads_is_served() {
    let t = TestApp::spawn().await;
    let page = get(&t, "/graphql").await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert!(page.headers().contains_key("content-security-policy"));
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
        "{html}"
    );
    // The example tabs hold last month (the test clock says June 2024).
    assert!(html.contains(r#""month": "2024-05""#), "{html}");
    assert!(!html.contains("__MSI_"), "{html}");
    let assets: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("/graphql/assets/"))
        .collect();
    assert_eq!(assets.len(), 6, "{assets:?}");
    for path in assets {
        let resp = get(&t, path).await;
        assert_eq!(resp.status(), 200, "{path}");
        let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
        let expected = if path.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(kind.starts_with(expected), "{path}: {kind}");
        let etag = resp.headers()["etag"].clone();
        assert!(resp.bytes().await.unwrap().len() > 1000, "{path}");
        // Revalidated by its entity tag.
        let again = t
            .client
            .get(format!("{}{path}", t.base))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
    }
    for other in [
        "/graphql/assets/index.html",
        "/graphql/assets/..%2FCargo.toml",
        "/graphql/assets/README.md",
    ] {
        assert_eq!(get(&t, other).await.status(), 404, "{other}");
    }
}

/// Runs headless Chromium on `url` with every host but 127.0.0.1 unreachable; what it
/// printed on standard output.
fn headless(chromium: &PathBuf, url: &str, action: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1400,900",
            "--virtual-time-budget=15000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(action)
        .arg(url)
        .output()
        .expect("chromium runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn offline_graphiql_shows_the_editor_and_the_schema_in_a_real_browser() {
    let Some(chromium) = common::chromium() else {
        return;
    };
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let url = format!("{}/graphql#token={}", t.base, t.admin());
    let browser = chromium.clone();
    let page_url = url.clone();
    let dom = tokio::task::spawn_blocking(move || headless(&browser, &page_url, &["--dump-dom"]))
        .await
        .unwrap();
    // The editor, and the Docs pane listing the schema's root types and fields.
    assert!(dom.contains("graphiql-editor"), "no editor in:\n{dom}");
    assert!(
        dom.contains("graphiql-doc-explorer"),
        "no Docs pane in:\n{dom}"
    );
    for word in [
        "Root Types",
        "Mutation",
        "ActionItemConnection",
        "KpiFactConnection",
    ] {
        assert!(dom.contains(word), "{word} missing from the Docs pane");
    }
    // The token was taken from the fragment, and the fragment dropped.
    assert!(!dom.contains("No token yet"), "{dom}");
    // A screenshot for a person to look at (not committed).
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("graphiql.png");
    let _ = std::fs::remove_file(&shot);
    let arg = format!("--screenshot={}", shot.display());
    tokio::task::spawn_blocking(move || headless(&chromium, &url, &[&arg]))
        .await
        .unwrap();
    assert!(
        std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0) > 10_000,
        "no screenshot at {}",
        shot.display()
    );
    eprintln!("screenshot: {}", shot.display());
}
