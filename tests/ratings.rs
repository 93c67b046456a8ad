//! Ratings datasets for the recommender models: MovieLens "latest-small" from the shared data,
//! every layout on generated files (ml-latest-small, ml-100k, a generic `ratings:PATH`), the
//! MovieLens downloads from a server on 127.0.0.1, the splits, the cold-start counts, the
//! errors, and the catalog and ratings files of a run.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::time::Instant;

use aprende::data::download::{hex, partial_files};
use aprende::data::ratings::{
    MOVIELENS_100K, MOVIELENS_SMALL, MovielensArchive, fetch_movielens_archive,
};
use aprende::data::{
    Catalog, ColdStart, DataDir, DataError, DatasetSpec, DownloadOptions, LoadOptions,
    RatingColumns, RatingScale, Ratings, RatingsData, RatingsOptions, RatingsSource, RatingsSplit,
};
use common::serve;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

fn offline() -> DownloadOptions {
    DownloadOptions {
        offline: true,
        ..Default::default()
    }
}

fn mirror(base: &str) -> DownloadOptions {
    DownloadOptions {
        mirrors: Some(vec![base.to_string()]),
        offline: false,
        progress: false,
    }
}

/// Options for `data_dir`, offline, with `split`, the default 20% and seed 42.
fn options(data_dir: &Path, split: RatingsSplit) -> LoadOptions {
    let mut options = LoadOptions::new(DataDir(data_dir.to_path_buf()));
    options.download = offline();
    options.ratings.split = split;
    options
}

fn spec(s: &str) -> DatasetSpec {
    DatasetSpec::from_str(s).unwrap()
}

/// Loads `ratings:PATH` with `ratings` options, offline, seed 42, 20% test.
fn load_csv(path: &Path, ratings: RatingsOptions) -> aprende::data::error::Result<RatingsData> {
    let mut opts = options(path.parent().unwrap(), ratings.split);
    opts.ratings = ratings;
    DatasetSpec::Ratings(RatingsSource::Csv(path.to_path_buf())).load_ratings(&opts)
}

/// Writes `text` to `dir/name` and returns its path.
fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// The error of loading `text` as `ratings:ratings.csv` with the default columns.
fn csv_error(text: &str, ratings: RatingsOptions) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "ratings.csv", text);
    let err = load_csv(&path, ratings).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    err
}

/// All ratings of `data` (train and test), as `(user, item, rating, time)` in raw ids.
fn all_raw(data: &RatingsData) -> Vec<(String, String, f32, i64)> {
    let mut all = Vec::new();
    for part in [&data.train, &data.test] {
        for i in 0..part.len() {
            all.push((
                data.catalog.users[part.user[i] as usize].clone(),
                data.catalog.items[part.item[i] as usize].clone(),
                part.rating[i],
                part.time[i],
            ));
        }
    }
    all.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    all
}

fn shared_movielens(seed: u64, split: RatingsSplit) -> RatingsData {
    let mut opts = options(&common::data_dir_with("movielens-small"), split);
    opts.seed = seed;
    spec("movielens-small").load_ratings(&opts).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The real MovieLens "latest-small"

#[test]
fn movielens_small_loads_from_the_shared_data() {
    let start = Instant::now();
    let data = shared_movielens(42, RatingsSplit::Random);
    let elapsed = start.elapsed();
    eprintln!("movielens-small loaded and split in {elapsed:?}");
    assert!(elapsed.as_secs_f64() < 5.0, "{elapsed:?}");

    let catalog = &data.catalog;
    assert_eq!(catalog.name, "movielens-small");
    assert_eq!(data.train.len() + data.test.len(), 100_836);
    assert_eq!(data.test.len(), 20_167);
    assert_eq!(catalog.users.len(), 610);
    assert_eq!(catalog.items.len(), 9_724);
    assert_eq!(catalog.titles.len(), 9_724);
    assert_eq!(catalog.scale, RatingScale { min: 0.5, max: 5.0 });
    assert_eq!(data.duplicates, 0);
    // Every rated movie has its title from movies.csv, quoted ones included.
    assert!(catalog.titles.iter().all(Option::is_some));
    let toy_story = catalog.item_index("1").unwrap();
    assert_eq!(catalog.title(toy_story), Some("Toy Story (1995)"));
    let president = catalog.item_index("11").unwrap();
    assert_eq!(
        catalog.title(president),
        Some("American President, The (1995)")
    );
    // Dense indices in order of first appearance: user 1's first movies are 1, 3, 6.
    assert_eq!(catalog.users[0], "1");
    assert_eq!(&catalog.items[..3], ["1", "3", "6"]);
    assert_eq!(catalog.user_index("610"), Some(609));
    assert_eq!(catalog.user_index("611"), None);
    // Ratings are half stars in the scale; train and test keep file order.
    for part in [&data.train, &data.test] {
        assert!(part.rating.iter().all(|&r| (0.5..=5.0).contains(&r)));
        assert!(part.rating.iter().all(|&r| (r * 2.0).fract() == 0.0));
        assert_eq!(part.user.len(), part.len());
        assert_eq!(part.time.len(), part.len());
        assert!(part.user.windows(2).all(|w| w[0] <= w[1]));
    }
    assert_eq!(
        data.cold,
        ColdStart::of(&data.train, &data.test, 610, 9_724)
    );
    assert_eq!(data.cold.users, 0);

    // The same seed gives the same data; another seed another split of the same ratings.
    assert_eq!(shared_movielens(42, RatingsSplit::Random), data);
    let other = shared_movielens(7, RatingsSplit::Random);
    assert_eq!(other.catalog, data.catalog);
    assert_eq!(other.test.len(), 20_167);
    assert_ne!(other.test, data.test);
    assert_eq!(all_raw(&other), all_raw(&data));
}

#[test]
fn movielens_small_per_user_split_holds_out_each_users_latest_ratings() {
    let data = shared_movielens(42, RatingsSplit::PerUser);
    assert_eq!(data.train.len() + data.test.len(), 100_836);
    let users = data.catalog.users.len();
    let mut train_latest = vec![i64::MIN; users];
    let mut test_earliest = vec![i64::MAX; users];
    let mut train_count = vec![0usize; users];
    let mut test_count = vec![0usize; users];
    for i in 0..data.train.len() {
        let u = data.train.user[i] as usize;
        train_latest[u] = train_latest[u].max(data.train.time[i]);
        train_count[u] += 1;
    }
    for i in 0..data.test.len() {
        let u = data.test.user[i] as usize;
        test_earliest[u] = test_earliest[u].min(data.test.time[i]);
        test_count[u] += 1;
    }
    for u in 0..users {
        let count = train_count[u] + test_count[u];
        assert_eq!(
            test_count[u],
            (count as f64 * 0.2).round() as usize,
            "user {u}"
        );
        assert!(train_count[u] >= 1);
        if test_count[u] > 0 {
            assert!(test_earliest[u] >= train_latest[u], "user {u}");
        }
    }
    assert_eq!(data.cold.users, 0);
    assert_eq!(
        data.cold,
        ColdStart::of(&data.train, &data.test, users, data.catalog.items.len())
    );
}

// ---------------------------------------------------------------------------------------------
// Generated files in each layout

const SMALL_RATINGS: &str = "userId,movieId,rating,timestamp\n\
    7,10,4.0,100\n\
    7,20,0.5,101\n\
    3,10,5.0,102\n\
    3,30,2.5,103\n\
    9,20,3.5,104\n";

const SMALL_MOVIES: &str = "movieId,title,genres\n\
    10,\"Good, the Bad and the Ugly, The (1966)\",Western\n\
    20,Heat (1995),Action|Crime\n\
    30,\"Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)\",Comedy|Romance\n\
    40,Never Rated (2000),Drama\n";

#[test]
fn a_movielens_small_layout_parses() {
    let data_dir = tempfile::tempdir().unwrap();
    let dir = data_dir.path().join("movielens-small");
    write(&dir, "ratings.csv", SMALL_RATINGS);
    write(&dir, "movies.csv", SMALL_MOVIES);
    let data = spec("movielens-small")
        .load_ratings(&options(data_dir.path(), RatingsSplit::Random))
        .unwrap();
    let catalog = &data.catalog;
    assert_eq!(catalog.users, ["7", "3", "9"]);
    assert_eq!(catalog.items, ["10", "20", "30"]);
    assert_eq!(
        catalog.titles,
        [
            Some("Good, the Bad and the Ugly, The (1966)".to_string()),
            Some("Heat (1995)".to_string()),
            Some("Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)".to_string()),
        ]
    );
    assert_eq!(catalog.scale, RatingScale::MOVIELENS_SMALL);
    assert_eq!((data.train.len(), data.test.len()), (4, 1));
    assert_eq!(
        all_raw(&data),
        [
            ("3".into(), "10".into(), 5.0, 102),
            ("3".into(), "30".into(), 2.5, 103),
            ("7".into(), "10".into(), 4.0, 100),
            ("7".into(), "20".into(), 0.5, 101),
            ("9".into(), "20".into(), 3.5, 104),
        ]
    );
}

#[test]
fn a_movielens_100k_layout_parses_with_latin1_titles() {
    let data_dir = tempfile::tempdir().unwrap();
    let dir = data_dir.path().join("movielens-100k");
    write(
        &dir,
        "u.data",
        "196\t242\t3\t881250949\n186\t302\t3\t891717742\n\n22\t377\t1\t878887116\n196\t302\t5\t881251000\n",
    );
    let mut items =
        b"242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|0|0\r\n"
            .to_vec();
    items.extend_from_slice(b"302|L.A. Confidential (1997)|01-Jan-1997||http://x|0|1\r\n");
    items.extend_from_slice(b"377|Caf\xe9 au lait (1994)|01-Jan-1994||http://x|0|1\r\n");
    items.extend_from_slice(b"999|Unrated \"Quoted\" (1990)|01-Jan-1990||http://x|0|1\r\n");
    write(&dir, "u.item", &items);
    let data = spec("movielens-100k")
        .load_ratings(&options(data_dir.path(), RatingsSplit::Random))
        .unwrap();
    let catalog = &data.catalog;
    assert_eq!(catalog.name, "movielens-100k");
    assert_eq!(catalog.scale, RatingScale { min: 1.0, max: 5.0 });
    assert_eq!(catalog.users, ["196", "186", "22"]);
    assert_eq!(catalog.items, ["242", "302", "377"]);
    assert_eq!(catalog.title(0), Some("Kolya (1996)"));
    assert_eq!(catalog.title(1), Some("L.A. Confidential (1997)"));
    assert_eq!(catalog.title(2), Some("Café au lait (1994)"));
    assert_eq!(data.train.len() + data.test.len(), 4);
    assert_eq!(data.test.len(), 1);
    assert!(all_raw(&data).contains(&("196".into(), "302".into(), 5.0, 881251000)));
}

#[test]
fn a_ratings_csv_with_other_columns_and_an_items_file_parses() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "shop.csv",
        "when,product,note,customer,stars\n\
         5,p-1,\"great, really\",\"Ann, B.\",4\n\
         6,p-2,,bob,2\n\
         7,p-1,meh,bob,3\n\
         8,p-3,\"said \"\"ok\"\"\",carl,5\n\
         9,p-2,,carl,1\n",
    );
    let items = write(
        dir.path(),
        "products.csv",
        "category,product,title\ntools,p-2,Hammer\ntoys,p-1,\"Ball, red\"\nnone,p-9,Unrated\n",
    );
    let ratings = RatingsOptions {
        columns: RatingColumns {
            user: "customer".into(),
            item: "product".into(),
            rating: "stars".into(),
            time: Some("when".into()),
        },
        items: Some(items),
        scale: Some(RatingScale { min: 1.0, max: 5.0 }),
        split: RatingsSplit::Random,
    };
    let data = load_csv(&path, ratings.clone()).unwrap();
    let catalog = &data.catalog;
    assert_eq!(catalog.name, "shop");
    assert_eq!(catalog.users, ["Ann, B.", "bob", "carl"]);
    assert_eq!(catalog.items, ["p-1", "p-2", "p-3"]);
    assert_eq!(
        catalog.titles,
        [
            Some("Ball, red".to_string()),
            Some("Hammer".to_string()),
            None
        ]
    );
    assert_eq!(catalog.scale, RatingScale { min: 1.0, max: 5.0 });
    assert_eq!(catalog.user_index("Ann, B."), Some(0));
    assert_eq!(
        all_raw(&data),
        [
            ("Ann, B.".into(), "p-1".into(), 4.0, 5),
            ("bob".into(), "p-1".into(), 3.0, 7),
            ("bob".into(), "p-2".into(), 2.0, 6),
            ("carl".into(), "p-2".into(), 1.0, 9),
            ("carl".into(), "p-3".into(), 5.0, 8),
        ]
    );

    // Without a scale it is the observed range; without a time column every time is 0; an
    // items file without the item column takes its first column and the second as titles.
    let plain = write(
        dir.path(),
        "plain.csv",
        "user,item,rating\nu1,a,2.5\nu2,b,4\nu1,b,3\nu3,a,3.5\nu2,a,1.5\n",
    );
    let names = write(dir.path(), "names.csv", "id,name\nb,Bee\na,Ay\n");
    let data = load_csv(
        &plain,
        RatingsOptions {
            items: Some(names),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(data.catalog.scale, RatingScale { min: 1.5, max: 4.0 });
    assert!(
        data.train
            .time
            .iter()
            .chain(&data.test.time)
            .all(|&t| t == 0)
    );
    assert_eq!(data.catalog.title(0), Some("Ay"));
    assert_eq!(data.catalog.title(1), Some("Bee"));
    assert_eq!(
        spec(&format!("ratings:{}", plain.display())).short_name(),
        "plain"
    );
}

// ---------------------------------------------------------------------------------------------
// Downloads

/// Writes a zip at `path` with the given `(name, bytes)` members, deflated; returns its sha256.
fn write_zip(path: &Path, members: &[(&str, &[u8])]) -> String {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    for (name, bytes) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    hex(&Sha256::digest(std::fs::read(path).unwrap()))
}

/// The entries of `dir` (none if it does not exist).
fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect()
}

/// A site with a generated `ml-latest-small.zip` (plus a README member aprende does not take);
/// returns the site and the archive's sha256.
fn small_site() -> (tempfile::TempDir, String) {
    let site = tempfile::tempdir().unwrap();
    let sha = write_zip(
        &site.path().join("ml-latest-small.zip"),
        &[
            ("ml-latest-small/README.txt", b"readme".as_slice()),
            ("ml-latest-small/ratings.csv", SMALL_RATINGS.as_bytes()),
            ("ml-latest-small/movies.csv", SMALL_MOVIES.as_bytes()),
        ],
    );
    (site, sha)
}

#[test]
fn movielens_small_is_downloaded_verified_and_extracted() {
    let (site, sha) = small_site();
    let server = serve(site.path().to_path_buf(), false);
    let archive = MovielensArchive {
        sha256: &sha,
        ..MOVIELENS_SMALL
    };
    let data_dir = tempfile::tempdir().unwrap();
    let dir = data_dir.path().join("movielens-small");
    fetch_movielens_archive(&archive, &dir, &mirror(&server.base)).unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    assert_eq!(
        std::fs::read_to_string(dir.join("ratings.csv")).unwrap(),
        SMALL_RATINGS
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("movies.csv")).unwrap(),
        SMALL_MOVIES
    );
    let mut names: Vec<_> = entries(&dir)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["movies.csv", "ratings.csv"],
        "no archive, no partial file"
    );

    // Everything is there now: no request, and the set loads (offline) from the folder.
    fetch_movielens_archive(&archive, &dir, &mirror(&server.base)).unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    let data = spec("movielens-small")
        .load_ratings(&options(data_dir.path(), RatingsSplit::Random))
        .unwrap();
    assert_eq!(data.catalog.title(1), Some("Heat (1995)"));
}

#[test]
fn movielens_100k_is_downloaded_verified_and_extracted() {
    let site = tempfile::tempdir().unwrap();
    let u_item =
        b"1|Toy Story (1995)|01-Jan-1995||http://x|0\n2|Caf\xe9 (1995)|01-Jan-1995||http://x|0\n";
    let sha = write_zip(
        &site.path().join("ml-100k.zip"),
        &[
            (
                "ml-100k/u.data",
                b"1\t1\t5\t10\n1\t2\t3\t11\n2\t1\t4\t12\n".as_slice(),
            ),
            ("ml-100k/u.item", u_item.as_slice()),
            ("ml-100k/u.user", b"1|24|M|technician|85711\n".as_slice()),
        ],
    );
    let server = serve(site.path().to_path_buf(), false);
    let archive = MovielensArchive {
        sha256: &sha,
        ..MOVIELENS_100K
    };
    let data_dir = tempfile::tempdir().unwrap();
    let dir = data_dir.path().join("movielens-100k");
    fetch_movielens_archive(&archive, &dir, &mirror(&server.base)).unwrap();
    assert_eq!(std::fs::read(dir.join("u.item")).unwrap(), u_item);
    assert_eq!(entries(&dir).len(), 2);
    let mut opts = options(data_dir.path(), RatingsSplit::PerUser);
    opts.test_split = 0.5;
    let data = spec("movielens-100k").load_ratings(&opts).unwrap();
    assert_eq!(data.catalog.title(1), Some("Café (1995)"));
    // User 1 holds out their latest rating (item 2, time 11); user 2 keeps their only one.
    assert_eq!(data.test.len(), 1);
    assert_eq!((data.test.item[0], data.test.time[0]), (1, 11));
}

#[test]
fn a_corrupted_or_mismatched_archive_is_refused_and_leaves_nothing() {
    let (site, sha) = small_site();
    let archive = MovielensArchive {
        sha256: &sha,
        ..MOVIELENS_SMALL
    };
    // A server that flips a byte, then a wrong pinned sha256 on a good server.
    let corrupt = serve(site.path().to_path_buf(), true);
    let good = serve(site.path().to_path_buf(), false);
    let wrong = "0".repeat(64);
    let cases = [
        (archive, &corrupt.base),
        (
            MovielensArchive {
                sha256: &wrong,
                ..MOVIELENS_SMALL
            },
            &good.base,
        ),
    ];
    for (archive, base) in cases {
        let data_dir = tempfile::tempdir().unwrap();
        let dir = data_dir.path().join("movielens-small");
        let err = fetch_movielens_archive(&archive, &dir, &mirror(base)).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, DataError::ArchiveMissing { .. }), "{msg}");
        assert!(msg.contains("sha256 mismatch"), "{msg}");
        assert!(msg.contains(&format!("{base}ml-latest-small.zip")), "{msg}");
        assert!(msg.contains(&dir.display().to_string()), "{msg}");
        assert!(partial_files(&dir).is_empty());
        assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));
    }

    // A verified archive without one of the members extracts nothing.
    let site = tempfile::tempdir().unwrap();
    let sha = write_zip(
        &site.path().join("ml-latest-small.zip"),
        &[("ml-latest-small/ratings.csv", SMALL_RATINGS.as_bytes())],
    );
    let server = serve(site.path().to_path_buf(), false);
    let data_dir = tempfile::tempdir().unwrap();
    let dir = data_dir.path().join("movielens-small");
    let archive = MovielensArchive {
        sha256: &sha,
        ..MOVIELENS_SMALL
    };
    let msg = fetch_movielens_archive(&archive, &dir, &mirror(&server.base))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("ml-latest-small/movies.csv"), "{msg}");
    assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));
}

#[test]
fn offline_or_unreachable_says_which_files_go_where_and_the_url() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut opts = options(data_dir.path(), RatingsSplit::Random);
    opts.download = DownloadOptions {
        mirrors: Some(vec!["https://mirror.example/movielens/".into()]),
        offline: true,
        progress: false,
    };
    let msg = spec("movielens-small")
        .load_ratings(&opts)
        .unwrap_err()
        .to_string();
    let dir = data_dir.path().join("movielens-small");
    assert!(msg.contains(&dir.display().to_string()), "{msg}");
    assert!(
        msg.contains("https://mirror.example/movielens/ml-latest-small.zip"),
        "{msg}"
    );
    for needle in [
        "ratings.csv",
        "movies.csv",
        "ml-latest-small/ratings.csv",
        MOVIELENS_SMALL.sha256,
        "offline",
        "APRENDE_MOVIELENS_MIRRORS",
    ] {
        assert!(msg.contains(needle), "{needle}: {msg}");
    }
    assert!(!dir.exists(), "offline creates nothing");

    // 100K offline with the built-in mirror, and a mirror nobody listens on.
    opts.download.mirrors = None;
    let msg = spec("movielens-100k")
        .load_ratings(&opts)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("ml-100k.zip"), "{msg}");
    assert!(msg.contains("u.data") && msg.contains("u.item"), "{msg}");
    assert!(
        msg.contains(&data_dir.path().join("movielens-100k").display().to_string()),
        "{msg}"
    );
    let port = common::closed_port();
    opts.download = mirror(&format!("http://127.0.0.1:{port}/ml"));
    let msg = spec("movielens-100k")
        .load_ratings(&opts)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains(&format!("http://127.0.0.1:{port}/ml/ml-100k.zip")),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn a_bad_row_names_the_line_and_the_column() {
    let ok = RatingsOptions::default;
    let msg = csv_error("user,item,rating\na,x,4\nb,y,four\n", ok());
    assert!(msg.contains("line 3") && msg.contains("`rating`"), "{msg}");
    assert!(msg.contains("four"), "{msg}");
    let msg = csv_error("user,item,rating\na,x,NaN\n", ok());
    assert!(msg.contains("line 2") && msg.contains("`rating`"), "{msg}");
    let msg = csv_error("user,item,rating\na,x,inf\n", ok());
    assert!(msg.contains("line 2") && msg.contains("`rating`"), "{msg}");
    let msg = csv_error("user,item,rating,timestamp\na,x,4,1\nb,x,4,1.5\n", ok());
    assert!(
        msg.contains("line 3") && msg.contains("`timestamp`"),
        "{msg}"
    );
    let msg = csv_error("user,item,rating,timestamp\na,x,4,1\n\nb,x\n", ok());
    assert!(msg.contains("line 4") && msg.contains("`rating`"), "{msg}");
    let msg = csv_error("user,item,rating\na,x,4\nb,y,3,extra\n", ok());
    assert!(msg.contains("line 3") && msg.contains("4 fields"), "{msg}");
    let msg = csv_error("user,item,rating\na,,4\n", ok());
    assert!(msg.contains("line 2") && msg.contains("`item`"), "{msg}");
    // Blank lines count, with either line ending.
    let msg = csv_error("user,item,rating\r\na,x,4\r\n\r\n\r\nb,y,z\r\n", ok());
    assert!(msg.contains("line 5,") && msg.contains("`rating`"), "{msg}");
    let msg = csv_error("user,item,rating\n\na,x,4\n\n\nb,y,z\n", ok());
    assert!(msg.contains("line 6,"), "{msg}");
    // A quoted field spanning lines: the line is where the row starts.
    let msg = csv_error("user,item,rating\n\"a\nb\",x,4\nc,y,z\n", ok());
    assert!(msg.contains("line 4"), "{msg}");
}

#[test]
fn a_rating_outside_the_scale_is_an_error_naming_it() {
    let scaled = RatingsOptions {
        scale: Some(RatingScale { min: 1.0, max: 5.0 }),
        ..Default::default()
    };
    let msg = csv_error("user,item,rating\na,x,4\nb,x,5.5\n", scaled);
    assert!(msg.contains("line 3") && msg.contains("1..5"), "{msg}");

    let bad_scale = RatingsOptions {
        scale: Some(RatingScale { min: 5.0, max: 1.0 }),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "r.csv", "user,item,rating\na,x,4\n");
    assert!(load_csv(&path, bad_scale).is_err());

    // MovieLens's own scales are enforced.
    let data_dir = tempfile::tempdir().unwrap();
    let dir = data_dir.path().join("movielens-small");
    write(
        &dir,
        "ratings.csv",
        "userId,movieId,rating,timestamp\n1,1,4.0,1\n1,2,0.0,2\n",
    );
    write(&dir, "movies.csv", SMALL_MOVIES);
    let msg = spec("movielens-small")
        .load_ratings(&options(data_dir.path(), RatingsSplit::Random))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("ratings.csv") && msg.contains("line 3"),
        "{msg}"
    );
    assert!(msg.contains("0.5..5"), "{msg}");
}

#[test]
fn a_missing_column_names_the_file_the_column_and_the_header() {
    let msg = csv_error(
        "userId,movieId,rating,timestamp\n1,1,4,1\n",
        RatingsOptions::default(),
    );
    assert!(msg.contains("`user`"), "{msg}");
    assert!(msg.contains("userId, movieId, rating, timestamp"), "{msg}");
    let explicit_time = RatingsOptions {
        columns: RatingColumns {
            time: Some("when".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let msg = csv_error("user,item,rating\na,x,4\n", explicit_time);
    assert!(msg.contains("`when`"), "{msg}");
}

#[test]
fn an_empty_or_header_only_file_is_an_error() {
    let msg = csv_error("user,item,rating,timestamp\n", RatingsOptions::default());
    assert!(msg.contains("no ratings"), "{msg}");
    let msg = csv_error("", RatingsOptions::default());
    assert!(msg.contains("empty"), "{msg}");
}

#[test]
fn duplicates_keep_the_later_rating_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    // (a, x) three times: times 5, 9, 9 -> the last (file order breaks the tie) wins.
    // (b, y) twice: times 8, 3 -> the first is the later.
    let path = write(
        dir.path(),
        "dups.csv",
        "user,item,rating,timestamp\n\
         a,x,1,5\nb,y,2,8\na,x,3,9\nc,z,4,1\nb,y,5,3\na,x,4.5,9\nc,x,1,2\nd,z,2,2\ne,x,3,3\n",
    );
    let data = load_csv(&path, RatingsOptions::default()).unwrap();
    assert_eq!(data.duplicates, 3);
    assert_eq!(data.catalog.users, ["a", "b", "c", "d", "e"]);
    assert_eq!(
        all_raw(&data),
        [
            ("a".into(), "x".into(), 4.5, 9),
            ("b".into(), "y".into(), 2.0, 8),
            ("c".into(), "x".into(), 1.0, 2),
            ("c".into(), "z".into(), 4.0, 1),
            ("d".into(), "z".into(), 2.0, 2),
            ("e".into(), "x".into(), 3.0, 3),
        ]
    );
}

#[test]
fn a_test_split_outside_zero_one_or_holding_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "r.csv", "user,item,rating\na,x,4\nb,y,3\n");
    for fraction in [0.0, 1.0, -0.1, f64::NAN] {
        let mut opts = options(dir.path(), RatingsSplit::Random);
        opts.test_split = fraction;
        let msg = DatasetSpec::Ratings(RatingsSource::Csv(path.clone()))
            .load_ratings(&opts)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("--test-split"), "{msg}");
    }
    // Two ratings at 20%: round(0.4) = 0 held out.
    let msg = load_csv(&path, RatingsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("holds none out"), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// Splits and cold start

/// `n` ratings by `users` users of `n` items, times descending.
fn generated(n: usize, users: usize) -> String {
    let mut text = String::from("user,item,rating,timestamp\n");
    for i in 0..n {
        text.push_str(&format!("u{},i{i},{},{}\n", i % users, 1 + i % 5, 1000 - i));
    }
    text
}

#[test]
fn a_random_split_holds_out_the_rounded_share_and_is_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "r.csv", generated(37, 4));
    let load = |seed: u64| {
        let mut opts = options(dir.path(), RatingsSplit::Random);
        opts.seed = seed;
        DatasetSpec::Ratings(RatingsSource::Csv(path.clone()))
            .load_ratings(&opts)
            .unwrap()
    };
    let data = load(1);
    assert_eq!(data.test.len(), 7); // round(37 * 0.2) = round(7.4)
    assert_eq!(data.train.len(), 30);
    assert_eq!(load(1), data);
    assert_ne!(load(2).test, data.test);
    // Every test item is unrated in training: all cold.
    assert_eq!(data.cold.items, 7);
    assert_eq!(data.cold.ratings, 7);
}

#[test]
fn a_per_user_split_holds_out_each_users_latest() {
    let dir = tempfile::tempdir().unwrap();
    // User a: 5 ratings, times shuffled; b: 1 rating (kept for training); c: 3 ratings with a
    // tie at the latest time (file order breaks it).
    let path = write(
        dir.path(),
        "r.csv",
        "user,item,rating,timestamp\n\
         a,i1,1,50\na,i2,2,10\nb,i1,3,99\na,i3,3,40\nc,i1,4,7\na,i4,4,20\nc,i2,5,7\na,i5,5,30\nc,i3,1,1\n",
    );
    let mut ratings = RatingsOptions {
        split: RatingsSplit::PerUser,
        ..Default::default()
    };
    let data = load_csv(&path, ratings.clone()).unwrap();
    // a: round(5 * 0.2) = 1 -> i1 (time 50); c: round(0.6) = 1 -> i2 (the later of the tie).
    let raw = |part: &Ratings| -> Vec<(String, String)> {
        (0..part.len())
            .map(|i| {
                (
                    data.catalog.users[part.user[i] as usize].clone(),
                    data.catalog.items[part.item[i] as usize].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        raw(&data.test),
        [("a".into(), "i1".into()), ("c".into(), "i2".into())]
    );
    assert_eq!(data.train.len(), 7);
    assert_eq!(data.cold, ColdStart::default());

    // At 50%: a holds out 3 (i1, i3, i5), c 2 (i1, i2; each user keeps one), b keeps its one.
    // i5 is rated only by a: a cold item.
    ratings.split = RatingsSplit::PerUser;
    let mut opts = options(dir.path(), RatingsSplit::PerUser);
    opts.test_split = 0.5;
    opts.ratings = ratings;
    let data = DatasetSpec::Ratings(RatingsSource::Csv(path.clone()))
        .load_ratings(&opts)
        .unwrap();
    assert_eq!(
        raw(&data.test),
        [
            ("a".into(), "i1".into()),
            ("a".into(), "i3".into()),
            ("c".into(), "i1".into()),
            ("c".into(), "i2".into()),
            ("a".into(), "i5".into()),
        ]
    );
    assert_eq!(
        data.cold,
        ColdStart {
            users: 0,
            items: 1,
            ratings: 1
        }
    );
}

#[test]
fn cold_start_counts_users_and_items_seen_only_in_test() {
    // Users 0 and 1 and items 0 and 1 are known; user 2 and item 2 appear only in the test
    // part; (2, 2) is cold on both counts but one rating.
    let part = |user: &[u32], item: &[u32]| Ratings {
        user: user.to_vec(),
        item: item.to_vec(),
        rating: vec![3.0; user.len()],
        time: vec![0; user.len()],
    };
    let train = part(&[0, 1, 0], &[0, 1, 1]);
    let test = part(&[1, 2, 2, 0, 2], &[0, 0, 2, 2, 1]);
    assert_eq!(
        ColdStart::of(&train, &test, 3, 3),
        ColdStart {
            users: 1,
            items: 1,
            ratings: 4
        }
    );
}

// ---------------------------------------------------------------------------------------------
// The catalog and ratings files of a run

#[test]
fn catalog_and_ratings_files_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "odd.csv",
        "user,item,rating,timestamp\n\
         \"Ann, B.\",\"say \"\"hi\"\"\",4.25,-5\nbob,plain,0.1,1700000000000\nbob,\"say \"\"hi\"\"\",3,0\n\
         carl,plain,2.75,9\ndan,x,1,1\n",
    );
    let items = write(
        dir.path(),
        "items.csv",
        "item,title\nplain,\"Plain, \"\"Title\"\" é\"\n",
    );
    let data = load_csv(
        &path,
        RatingsOptions {
            items: Some(items),
            ..Default::default()
        },
    )
    .unwrap();

    let catalog_path = dir.path().join("run/catalog.json");
    data.catalog.save(&catalog_path).unwrap();
    let catalog = Catalog::load(&catalog_path).unwrap();
    assert_eq!(catalog, data.catalog);
    assert_eq!(catalog.item_index("say \"hi\""), Some(0));
    assert_eq!(catalog.title(1), Some("Plain, \"Title\" é"));
    assert_eq!(catalog.title(0), None);

    for (name, part) in [("train.csv", &data.train), ("test.csv", &data.test)] {
        let file = dir.path().join("run").join(name);
        part.save_csv(&file, &catalog).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("user,item,rating,timestamp\n"), "{text}");
        assert_eq!(&Ratings::load_csv(&file, &catalog).unwrap(), part);
    }
    assert!(partial_files(&dir.path().join("run")).is_empty());

    // The shared MovieLens train part too.
    let movielens = shared_movielens(42, RatingsSplit::Random);
    let file = dir.path().join("run/movielens.csv");
    movielens.train.save_csv(&file, &movielens.catalog).unwrap();
    let catalog_path = dir.path().join("run/movielens-catalog.json");
    movielens.catalog.save(&catalog_path).unwrap();
    let catalog = Catalog::load(&catalog_path).unwrap();
    assert_eq!(catalog, movielens.catalog);
    assert_eq!(Ratings::load_csv(&file, &catalog).unwrap(), movielens.train);
}

#[test]
fn an_unknown_id_or_a_bad_catalog_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::new(
        "t",
        RatingScale { min: 1.0, max: 5.0 },
        vec!["a".into()],
        vec!["x".into()],
        vec![None],
    )
    .unwrap();
    let file = write(
        dir.path(),
        "ratings.csv",
        "user,item,rating,timestamp\na,x,4,1\nzed,x,3,2\n",
    );
    let msg = Ratings::load_csv(&file, &catalog).unwrap_err().to_string();
    assert!(
        msg.contains("ratings.csv") && msg.contains("line 3"),
        "{msg}"
    );
    assert!(msg.contains("`zed`"), "{msg}");
    let file = write(
        dir.path(),
        "ratings2.csv",
        "user,item,rating,timestamp\na,y,4,1\n",
    );
    let msg = Ratings::load_csv(&file, &catalog).unwrap_err().to_string();
    assert!(msg.contains("line 2") && msg.contains("`y`"), "{msg}");

    let bad = write(dir.path(), "catalog.json", "{\"name\": 3}");
    let msg = Catalog::load(&bad).unwrap_err().to_string();
    assert!(msg.contains("catalog.json"), "{msg}");
    let text = serde_json::to_string(&catalog)
        .unwrap()
        .replace("[null]", "[]");
    let bad = write(dir.path(), "short.json", text);
    let msg = Catalog::load(&bad).unwrap_err().to_string();
    assert!(
        msg.contains("short.json") && msg.contains("titles"),
        "{msg}"
    );
    let msg = Catalog::load(&dir.path().join("none.json"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("none.json"), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// Names

#[test]
fn ratings_datasets_parse_print_and_are_not_images_or_tables() {
    for (name, source) in [
        ("movielens-small", RatingsSource::MovielensSmall),
        ("movielens-100k", RatingsSource::Movielens100k),
        (
            "ratings:data/shop.csv",
            RatingsSource::Csv("data/shop.csv".into()),
        ),
    ] {
        let spec = spec(name);
        assert_eq!(spec, DatasetSpec::Ratings(source));
        assert_eq!(spec.to_string(), name);
        assert!(spec.is_ratings() && !spec.is_table() && !spec.is_folder());
        let dir = tempfile::tempdir().unwrap();
        let msg = spec
            .load(&options(dir.path(), RatingsSplit::Random))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("ratings dataset") && msg.contains("item-knn"),
            "{msg}"
        );
    }
    assert_eq!(spec("movielens-100k").short_name(), "movielens-100k");
    assert_eq!(spec("ratings:data/shop.csv").short_name(), "shop");
    assert!(!spec("iris").is_ratings());
    let msg = DatasetSpec::from_str("ratings:").unwrap_err().to_string();
    assert!(msg.contains("`ratings:` needs a path"), "{msg}");
    let msg = DatasetSpec::from_str("movielens").unwrap_err().to_string();
    assert!(
        msg.contains("movielens-small, movielens-100k, ratings:PATH"),
        "{msg}"
    );
    let msg = spec("iris")
        .load_ratings(&options(Path::new("."), RatingsSplit::Random))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("not a ratings dataset"), "{msg}");
    assert_eq!(RatingsSplit::default(), RatingsSplit::Random);
    assert_eq!(
        "per-user".parse::<RatingsSplit>().unwrap(),
        RatingsSplit::PerUser
    );
}
