//! The pages: the list of runs, a page to use each (drawing, photo, form or recommender),
//! its report rendered from `report.md`, its pictures, and the embedded CSS and JavaScript.
//!
//! The HTML comes from the minijinja templates in `templates/`, embedded in the binary and
//! HTML-escaped by the engine: every value a page shows goes through its escaping. The one
//! fragment handed over as it is, already marked safe, is the report's HTML, which
//! pulldown-cmark makes from the run's own `report.md`.

use std::sync::{Arc, LazyLock};

use axum::extract::{Path, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{AutoEscape, Environment, HtmlEscape, UndefinedBehavior, Value, context};
use serde::Serialize;

use super::State;
use super::api::{info, unknown_run};

const STYLE: &str = include_str!("assets/style.css");
const SCRIPT: &str = include_str!("assets/run.js");

/// The templates, by name.
const TEMPLATES: [(&str, &str); 5] = [
    ("base.html", include_str!("templates/base.html")),
    ("index.html", include_str!("templates/index.html")),
    ("run.html", include_str!("templates/run.html")),
    ("report.html", include_str!("templates/report.html")),
    ("not_found.html", include_str!("templates/not_found.html")),
];

/// The templates, parsed once. Every template is HTML-escaped whatever its name; a value
/// a template names but is not given is an error rather than an empty string.
static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Block tags take their own line away with them; every page ends with a newline.
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            panic!("the page template {name} does not parse: {e}");
        }
    }
    env
});

/// The page `template` with `context`, or a 500 that says why it could not be made.
fn render(template: &str, context: Value) -> Response {
    match PAGES.get_template(template).and_then(|t| t.render(context)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot make the page {template}: {e}"),
        )
            .into_response(),
    }
}

/// A row of the list of runs.
#[derive(Serialize)]
struct RunRow<'a> {
    name: &'a str,
    model: &'a str,
    dataset: &'a str,
    headline: &'a str,
}

/// `GET /`: the runs.
pub(crate) async fn index(Shared(state): Shared<Arc<State>>) -> Response {
    let runs: Vec<RunRow> = state
        .runs
        .values()
        .map(|run| RunRow {
            name: &run.name,
            model: run.run.config.model.name(),
            dataset: &run.run.config.dataset,
            headline: &run.headline,
        })
        .collect();
    render("index.html", context! { runs })
}

/// `GET /runs/NAME`: the page to use the model, by its kind.
pub(crate) async fn run_page(
    Shared(state): Shared<Arc<State>>,
    Path(name): Path<String>,
) -> Response {
    let Some(run) = state.run(&name) else {
        return not_found_page(&unknown_run(&state, &name).1);
    };
    let c = &run.run.config;
    render(
        "run.html",
        context! {
            title => format!("{} on {}", c.model.name(), c.dataset),
            headline => &run.headline,
            name => &run.name,
            page => &run.kind,
            // What run.js reads: the template writes it with `tojson`, which makes it safe
            // inside the script element.
            meta => info(&run),
        },
    )
}

/// `GET /runs/NAME/report`: `report.md` as HTML.
pub(crate) async fn report(
    Shared(state): Shared<Arc<State>>,
    Path(name): Path<String>,
) -> Response {
    let Some(run) = state.run(&name) else {
        return not_found_page(&unknown_run(&state, &name).1);
    };
    let path = run.dir().join("report.md");
    let Ok(markdown) = std::fs::read_to_string(&path) else {
        return not_found_page(&format!("`{name}` has no report.md"));
    };
    let parser = pulldown_cmark::Parser::new_ext(&markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    // Pictures are named relative to the report: `/runs/NAME/curves.png`.
    let html = html.replace("src=\"", &format!("src=\"/runs/{}/", HtmlEscape(&run.name)));
    render(
        "report.html",
        context! { name, report => Value::from_safe_string(html) },
    )
}

/// `GET /runs/NAME/FILE`: one of the run's own files (its pictures, its report), by name;
/// nothing outside its folder, nothing below it.
pub(crate) async fn run_file(
    Shared(state): Shared<Arc<State>>,
    Path((name, file)): Path<(String, String)>,
) -> Response {
    let Some(run) = state.run(&name) else {
        return not_found_page(&unknown_run(&state, &name).1);
    };
    if !run.files.contains(&file) {
        return not_found_page(&format!("`{name}` has no file `{file}`"));
    }
    match std::fs::read(run.dir().join(&file)) {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(&file))], bytes).into_response(),
        Err(_) => not_found_page(&format!("`{name}` has no file `{file}`")),
    }
}

/// The content type of a served file, from its extension (`mime_guess`). Text is UTF-8 (the
/// runs' files and the assets are written so), and Markdown goes as plain text, which
/// browsers show rather than download.
fn content_type(file: &str) -> String {
    use mime_guess::mime;
    let guess = mime_guess::from_path(file).first_or_octet_stream();
    if guess.type_() != mime::TEXT {
        return guess.to_string();
    }
    if guess.subtype() == "markdown" {
        return mime::TEXT_PLAIN_UTF_8.to_string();
    }
    format!("{guess}; charset=utf-8")
}

/// `GET /assets/FILE`: the embedded CSS and JavaScript.
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    let body = match file.as_str() {
        "style.css" => STYLE,
        "run.js" => SCRIPT,
        _ => return not_found_page("no such asset"),
    };
    ([(header::CONTENT_TYPE, content_type(&file))], body).into_response()
}

/// Any other path.
pub(crate) async fn not_found() -> Response {
    not_found_page("nothing here")
}

fn not_found_page(message: &str) -> Response {
    let mut page = render("not_found.html", context! { message });
    if page.status() == StatusCode::OK {
        *page.status_mut() = StatusCode::NOT_FOUND;
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(template: &str, context: Value) -> String {
        PAGES
            .get_template(template)
            .and_then(|t| t.render(context))
            .unwrap()
    }

    #[test]
    fn every_value_is_escaped() {
        let evil = "<script>alert('x')</script> & \"quoted\"";
        let html = page("not_found.html", context! { message => evil });
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(&#x27;x&#x27;)"),
            "{html}"
        );
        assert!(html.contains("&amp; &quot;quoted&quot;"), "{html}");
        assert!(html.starts_with("<!doctype html>\n") && html.ends_with("</html>\n"));

        let html = page(
            "index.html",
            context! { runs => vec![context! {
                name => "a<b", model => "m&m", dataset => "\"d\"", headline => "h>0",
            }] },
        );
        for raw in ["a<b", "m&m", "\"d\"", "h>0"] {
            assert!(!html.contains(raw), "{raw}: {html}");
        }
        assert!(
            html.contains("<a href=\"/runs/a&lt;b\">a&lt;b</a>"),
            "{html}"
        );
    }

    #[test]
    fn the_run_data_cannot_close_its_script_element() {
        let html = page(
            "run.html",
            context! {
                title => "t", headline => "h", name => "n",
                page => context! { kind => "api-only", reason => "<b>why</b>" },
                meta => context! { name => "</script><script>alert(1)</script>" },
            },
        );
        assert!(
            html.contains("<p>&lt;b&gt;why&lt;&#x2f;b&gt;</p>"),
            "{html}"
        );
        assert_eq!(html.matches("</script>").count(), 2, "{html}");
        let start = html.find("type=\"application/json\">").unwrap() + 24;
        let end = start + html[start..].find("</script>").unwrap();
        let meta: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(meta["name"], "</script><script>alert(1)</script>");
    }

    #[test]
    fn every_kind_of_run_has_its_page() {
        use crate::serve::PageKind;
        for (kind, marker) in [
            (PageKind::Drawing { size: 28 }, "<canvas id=\"pad\""),
            (PageKind::Photo, "<div id=\"drop\""),
            (
                PageKind::Table {
                    features: vec!["width".into(), "a<b".into()],
                },
                "<label for=\"f1\">a&lt;b</label> <input id=\"f1\" name=\"f1\"",
            ),
            (PageKind::Recommender, "<form id=\"item-form\">"),
            (
                PageKind::ApiOnly {
                    reason: "use app predict".into(),
                },
                "<p>use app predict</p>\n<section aria-labelledby=\"answer-title\">",
            ),
        ] {
            let html = page(
                "run.html",
                context! { title => "t", headline => "h", name => "n", page => &kind, meta => &kind },
            );
            assert!(html.contains(marker), "{kind:?}: {html}");
        }
    }

    #[test]
    fn the_report_is_the_one_fragment_left_as_it_is() {
        let html = page(
            "report.html",
            context! { name => "r<", report => Value::from_safe_string("<table></table>\n".into()) },
        );
        assert!(
            html.contains("<title>r&lt;: report · aprende</title>"),
            "{html}"
        );
        assert!(
            html.contains("<main>\n<table></table>\n\n</main>"),
            "{html}"
        );
    }

    #[test]
    fn content_types_follow_the_extension() {
        for (file, want) in [
            ("curves.png", "image/png"),
            ("samples.gif", "image/gif"),
            ("report.json", "application/json"),
            ("report.md", "text/plain; charset=utf-8"),
            ("log.txt", "text/plain; charset=utf-8"),
            ("history.csv", "text/csv; charset=utf-8"),
            ("style.css", "text/css; charset=utf-8"),
            ("run.js", "text/javascript; charset=utf-8"),
            ("chart.svg", "image/svg+xml"),
            ("model.bpk", "application/octet-stream"),
        ] {
            assert_eq!(content_type(file), want, "{file}");
        }
    }
}
