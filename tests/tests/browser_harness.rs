//! The browser harness itself (tests/src/browser.rs), on a tiny static page served by axum:
//! a form with a label, an input, a select and a button whose click rewrites a div's text.
//! Skips (returns) when chromedriver is not installed, unless ASSETHUB_REQUIRE_BROWSER=1.

use assethub_tests::browser::Browser;
use axum::response::Html;
use axum::routing::get;
use std::time::Duration;

const PAGE: &str = r#"<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>harness</title></head>
<body>
  <form id="f" onsubmit="return false">
    <label for="name">被执行人</label>
    <input id="name" name="name" value="old">
    <select id="kind" name="kind">
      <option value="bank">存款</option>
      <option value="vehicle">车辆</option>
      <option value="estate">不动产</option>
    </select>
    <button id="go" type="button"
      onclick="document.getElementById('out').textContent = '查询 ' + document.getElementById('name').value + ' ' + document.getElementById('kind').value">查询</button>
  </form>
  <div id="out">尚未查询</div>
  <ul><li class="row">1</li><li class="row">2</li><li class="row">3</li></ul>
</body>
</html>"#;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

#[tokio::test]
async fn the_harness_fills_selects_clicks_waits_and_screenshots_a_real_page() {
    let Some(browser) = Browser::start("browser_harness").await else {
        return;
    };

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/",
        get(|| async {
            (
                [(
                    axum::http::header::SET_COOKIE,
                    "probe=1; Path=/; HttpOnly; SameSite=Strict",
                )],
                Html(PAGE),
            )
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let url = format!("http://{addr}/");
    browser.goto(&url).await;
    assert_eq!(browser.current_url().await, url);
    browser.wait_for("#go", Duration::from_secs(5)).await;
    assert_eq!(browser.text("label[for=name]").await, "被执行人");
    assert_eq!(browser.text("#out").await, "尚未查询");
    assert_eq!(browser.count("li.row").await, 3);
    assert_eq!(browser.count("table").await, 0);

    // The page speaks Chinese: --lang=zh-CN reaches navigator.language.
    let language = browser.execute("return navigator.language").await;
    assert_eq!(language.as_str(), Some("zh-CN"), "navigator.language");

    browser.fill("#name", "张三").await;
    browser.select("#kind", "vehicle").await;
    let kind = browser
        .execute("return document.getElementById('kind').value")
        .await;
    assert_eq!(kind.as_str(), Some("vehicle"));
    browser.click("#go").await;
    let text = browser
        .wait_text("#out", "张三", Duration::from_secs(5))
        .await;
    assert_eq!(text, "查询 张三 vehicle");

    // fill clears first.
    browser.fill("#name", "李四").await;
    browser.click("#go").await;
    browser
        .wait_text("#out", "李四", Duration::from_secs(5))
        .await;
    assert!(!browser.text("#out").await.contains("张三"));

    let cookies = browser.cookies().await;
    let probe = cookies
        .iter()
        .find(|c| c.name == "probe")
        .unwrap_or_else(|| panic!("the probe cookie among {cookies:?}"));
    assert!(probe.http_only, "{probe:?}");
    assert!(!probe.secure, "{probe:?}");
    assert_eq!(probe.same_site.as_deref(), Some("Strict"), "{probe:?}");

    assert_eq!(
        browser.viewport().await,
        (1280, 800),
        "the viewport at start"
    );
    let small = browser.screenshot("1280x800").await;
    browser.resize(1920, 1080).await;
    assert_eq!(
        browser.viewport().await,
        (1920, 1080),
        "the viewport after resize"
    );
    let large = browser.screenshot("1920x1080").await;
    for (path, size) in [(&small, (1280, 800)), (&large, (1920, 1080))] {
        let png = std::fs::read(path).unwrap();
        assert!(
            png.starts_with(PNG_SIGNATURE),
            "{} is not a PNG",
            path.display()
        );
        // The IHDR chunk: width and height, big-endian, after the signature and chunk header.
        let dim = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
        assert_eq!((dim(16), dim(20)), size, "{}", path.display());
        assert!(path.ends_with(
            std::path::Path::new("console-screenshots/browser_harness")
                .join(path.file_name().unwrap())
        ));
    }
    eprintln!("screenshots: {} and {}", small.display(), large.display());

    browser.close().await;
    server.abort();
}

#[tokio::test]
async fn a_wait_that_times_out_reports_the_page_text() {
    let Some(browser) = Browser::start("browser_harness_timeout").await else {
        return;
    };
    browser
        .goto("data:text/html;charset=utf-8,<div id=x>静态文本</div>")
        .await;
    let why = browser
        .try_wait_text("#x", "永远不会出现", Duration::from_millis(300))
        .await
        .expect_err("the needle never appears");
    assert!(why.contains("静态文本"), "{why}");
    assert!(why.contains("永远不会出现"), "{why}");
    browser.close().await;
}
