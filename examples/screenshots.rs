//! Screenshots of the main public and staff pages at a phone's width (390 px) and a desk's
//! (1280 px), in both languages, for people to review (not test oracles). Drives Debian's
//! Chromium through chromedriver against a running pubcom; `tools/screenshots.sh` prepares
//! one with data and runs this.
//!
//!   cargo run --example screenshots -- URL USERNAME PASSWORD OUT_DIR
use fantoccini::{ClientBuilder, Locator};
use std::time::Duration;

const PUBLIC: [(&str, &str); 6] = [
    ("home", "/"),
    ("consultation", "/c/ismap-2020"),
    ("form", "/c/ismap-2020/submit"),
    ("receipt-check", "/c/ismap-2020/receipt"),
    ("results", "/c/ismap-2020/results"),
    ("results-item", "/c/ismap-2020/results/items/1/1"),
];

const STAFF: [(&str, &str); 9] = [
    ("staff-home", "/staff/"),
    ("staff-queue", "/staff/transcriptions"),
    ("staff-overview", "/staff/c/ismap-2020"),
    ("staff-opinions", "/staff/c/ismap-2020/opinions"),
    ("staff-campaigns", "/staff/c/ismap-2020/campaigns"),
    ("staff-responses", "/staff/c/ismap-2020/responses"),
    ("staff-publish", "/staff/c/ismap-2020/publish"),
    ("staff-users", "/staff/users"),
    ("staff-account", "/staff/account"),
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, username, password, out] = args.as_slice() else {
        eprintln!("usage: screenshots URL USERNAME PASSWORD OUT_DIR");
        std::process::exit(2);
    };
    std::fs::create_dir_all(out)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut driver = std::process::Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({"binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]}),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut client = None;
    for _ in 0..100 {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let b = client.ok_or("chromedriver did not start")?;
    b.goto(&format!("{base}/staff/sign-in")).await?;
    b.find(Locator::Id("username")).await?.send_keys(username).await?;
    b.find(Locator::Id("password")).await?.send_keys(password).await?;
    b.find(Locator::Css("button[type=submit]")).await?.click().await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut taken = 0;
    for width in [390u32, 1280] {
        for lang in ["ja", "en"] {
            for (name, path) in PUBLIC.iter().chain(STAFF.iter()) {
                b.set_window_size(width, 900).await?;
                b.goto(&format!("{base}{path}?lang={lang}")).await?;
                // The whole page, however tall: size the window to the document first.
                let height = b.execute("return document.documentElement.scrollHeight", vec![]).await?;
                let height = height.as_u64().unwrap_or(900).clamp(400, 12_000) as u32;
                b.set_window_size(width, height).await?;
                let png = b.screenshot().await?;
                std::fs::write(format!("{out}/{name}-{lang}-{width}.png"), png)?;
                taken += 1;
            }
        }
    }
    b.close().await?;
    let _ = driver.kill();
    println!("{taken} screenshots in {out}");
    Ok(())
}
