//! The pages: the list of runs, a page to use each (drawing, photo, form or recommender),
//! its report rendered from `report.md`, its pictures, and the embedded CSS and JavaScript.

use std::sync::Arc;

use axum::extract::{Path, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::api::{info, unknown_run};
use super::{PageKind, State};

const STYLE: &str = include_str!("assets/style.css");
const SCRIPT: &str = include_str!("assets/run.js");

/// Text made safe for HTML.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · aprende</title>\n<link rel=\"stylesheet\" href=\"/assets/style.css\">\n\
         </head>\n<body>\n<header><a href=\"/\">aprende</a></header>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        escape(title)
    ))
}

/// `GET /`: the runs.
pub(crate) async fn index(Shared(state): Shared<Arc<State>>) -> Html<String> {
    let mut rows = String::new();
    for run in state.runs.values() {
        let c = &run.run.config;
        rows.push_str(&format!(
            "<tr><td><a href=\"/runs/{name}\">{name}</a></td><td>{}</td><td>{}</td><td>{}</td>\
             <td><a href=\"/runs/{name}/report\">report</a></td></tr>\n",
            escape(c.model.name()),
            escape(&c.dataset),
            escape(&run.headline),
            name = escape(&run.name),
        ));
    }
    page(
        "Runs",
        &format!(
            "<h1>Trained runs</h1>\n<table>\n<thead><tr><th scope=\"col\">run</th><th scope=\"col\">model</th>\
             <th scope=\"col\">dataset</th><th scope=\"col\">test</th><th scope=\"col\"></th></tr></thead>\n\
             <tbody>\n{rows}</tbody>\n</table>\n<p>The API: <a href=\"/api/runs\">/api/runs</a>, \
             <code>POST /api/runs/NAME/predict</code>.</p>"
        ),
    )
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
    let title = format!("{} on {}", c.model.name(), c.dataset);
    let tool = match &run.kind {
        PageKind::Drawing { .. } => "<section aria-labelledby=\"draw-title\">\n\
             <h2 id=\"draw-title\">Draw</h2>\n\
             <p id=\"draw-help\">Draw with the mouse or a finger; the prediction follows each stroke.</p>\n\
             <canvas id=\"pad\" width=\"280\" height=\"280\" role=\"img\" aria-label=\"drawing area\" \
             aria-describedby=\"draw-help\" tabindex=\"0\"></canvas>\n\
             <p><button type=\"button\" id=\"clear\">Clear</button> \
             <button type=\"button\" id=\"predict\">Predict</button></p>\n\
             <label for=\"file\">…or pick an image</label> <input type=\"file\" id=\"file\" accept=\"image/*\">\n\
             </section>"
            .to_string(),
        PageKind::Photo => "<section aria-labelledby=\"photo-title\">\n\
             <h2 id=\"photo-title\">Photo</h2>\n\
             <div id=\"drop\" class=\"drop\" tabindex=\"0\" role=\"button\" aria-describedby=\"drop-help\">\
             <p id=\"drop-help\">Drop photos here, or press Enter to pick them</p>\
             <img id=\"preview\" alt=\"the photo sent\" hidden></div>\n\
             <label for=\"file\">Photos</label> <input type=\"file\" id=\"file\" accept=\"image/*\" multiple>\n\
             </section>"
            .to_string(),
        PageKind::Table { features } => {
            let mut fields = String::new();
            for (i, f) in features.iter().enumerate() {
                fields.push_str(&format!(
                    "<p><label for=\"f{i}\">{}</label> <input id=\"f{i}\" name=\"f{i}\" type=\"number\" \
                     step=\"any\" required inputmode=\"decimal\"></p>\n",
                    escape(f)
                ));
            }
            format!(
                "<section aria-labelledby=\"form-title\">\n<h2 id=\"form-title\">Values</h2>\n\
                 <form id=\"row\">\n{fields}<p><button type=\"submit\">Predict</button></p>\n</form>\n</section>"
            )
        }
        PageKind::Recommender => "<section aria-labelledby=\"rec-title\">\n\
             <h2 id=\"rec-title\">Recommendations</h2>\n\
             <form id=\"user-form\"><p><label for=\"user\">User id</label> \
             <input id=\"user\" name=\"user\" required> <button type=\"submit\">Recommend</button></p></form>\n\
             <form id=\"item-form\"><p><label for=\"item\">Items like item id</label> \
             <input id=\"item\" name=\"item\" required> <button type=\"submit\">Find similar</button></p></form>\n\
             </section>"
            .to_string(),
        PageKind::ApiOnly { reason } => format!("<p>{}</p>", escape(reason)),
    };
    let meta = serde_json::to_string(&info(&run)).unwrap_or_else(|_| "{}".into());
    // `</` cannot appear inside the script element.
    let meta = meta.replace("</", "<\\/");
    let body = format!(
        "<h1>{}</h1>\n<p>Test: {} · <a href=\"/runs/{name}/report\">report</a></p>\n{tool}\n\
         <section aria-labelledby=\"answer-title\"><h2 id=\"answer-title\">Answer</h2>\n\
         <div id=\"answer\" aria-live=\"polite\" data-state=\"idle\"><p>Nothing asked yet.</p></div></section>\n\
         <script id=\"run-meta\" type=\"application/json\">{meta}</script>\n\
         <script src=\"/assets/run.js\"></script>",
        escape(&title),
        escape(&run.headline),
        name = escape(&run.name),
    );
    page(&title, &body).into_response()
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
    let html = html.replace("src=\"", &format!("src=\"/runs/{}/", escape(&run.name)));
    page(&format!("{name}: report"), &html).into_response()
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

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next().unwrap_or("") {
        "png" => "image/png",
        "gif" => "image/gif",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// `GET /assets/FILE`: the embedded CSS and JavaScript.
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "style.css" => ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response(),
        "run.js" => (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            SCRIPT,
        )
            .into_response(),
        _ => not_found_page("no such asset"),
    }
}

/// Any other path.
pub(crate) async fn not_found() -> Response {
    not_found_page("nothing here")
}

fn not_found_page(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        page(
            "Not found",
            &format!(
                "<h1>Not found</h1>\n<p>{}</p>\n<p><a href=\"/\">The runs</a></p>",
                escape(message)
            ),
        ),
    )
        .into_response()
}
