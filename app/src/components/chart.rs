//! Calls per token over time as stacked bars: accepted calls solid, refused ones pale with
//! an outline on top, each token in the same colour whatever the filter. The bars are SVG
//! drawn on the server (no chart library, nothing to download); the axis labels are HTML
//! text, so they stay readable (12 px and up) however narrow the screen.
use leptos::prelude::*;

use crate::api::endpoints::Chart;

/// Okabe–Ito: told apart by people with the common colour-vision deficiencies.
const COLOURS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
/// Horizontal grid lines, the baseline included: 0, ¼, ½, ¾ and all of the axis.
const TICKS: u32 = 4;

/// A sender's colour: by its place among every sender of the endpoint, so filtering never
/// repaints a token.
pub fn colour(senders: &[String], token: &str) -> &'static str {
    let index = senders.iter().position(|s| s == token).unwrap_or(0);
    COLOURS[index % COLOURS.len()]
}

/// The top of the y axis: the smallest 1, 2 or 5 × 10ⁿ step whose four steps reach `peak`,
/// so every tick is a round number.
pub fn axis_top(peak: u32) -> u32 {
    let mut magnitude = 1u32;
    loop {
        for step in [1, 2, 5] {
            let step = step * magnitude;
            if step.saturating_mul(TICKS) >= peak {
                return step.saturating_mul(TICKS);
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

#[component]
pub fn CallsChart(chart: Chart, senders: Vec<String>) -> impl IntoView {
    if chart.buckets.is_empty() {
        return view! { <p class="empty">"No calls in this range yet, so there is nothing to chart."</p> }
            .into_any();
    }
    let buckets = chart.buckets.len();
    let totals: Vec<u32> = (0..buckets)
        .map(|i| {
            chart
                .series
                .iter()
                .map(|s| s.accepted[i] + s.refused[i])
                .sum()
        })
        .collect();
    let top = f64::from(axis_top(totals.iter().copied().max().unwrap_or(0).max(1)));
    let slot = WIDTH / buckets as f64;
    let bar = (slot * 0.8).max(1.0);
    let mut bars = Vec::new();
    for i in 0..buckets {
        let mut y = HEIGHT;
        let x = format!("{:.1}", slot * i as f64 + (slot - bar) / 2.0);
        let when = chart.buckets[i].format("%Y-%m-%d %H:%M UTC");
        for series in &chart.series {
            let fill = colour(&senders, &series.token);
            for (count, refused) in [(series.accepted[i], false), (series.refused[i], true)] {
                if count == 0 {
                    continue;
                }
                let height = f64::from(count) / top * HEIGHT;
                y -= height;
                let label = format!(
                    "{}: {count} {} call{} from {when}",
                    series.token,
                    if refused { "refused" } else { "accepted" },
                    if count == 1 { "" } else { "s" },
                );
                bars.push(view! {
                    <rect x=x.clone() y=format!("{y:.1}") width=format!("{bar:.1}") height=format!("{height:.1}")
                        fill=fill stroke=refused.then_some(fill) class:refused=refused><title>{label}</title></rect>
                });
            }
        }
    }
    let grid = (1..=TICKS)
        .map(|t| {
            let y = HEIGHT - HEIGHT * f64::from(t) / f64::from(TICKS);
            view! { <line x1="0" x2=WIDTH y1=y y2=y class="grid"/> }
        })
        .collect_view();
    let labels = (0..=TICKS)
        .map(|t| view! { <span>{(top as u32 / TICKS * t).to_string()}</span> })
        .collect_view();
    let first = chart.buckets[0].format("%Y-%m-%d %H:%M").to_string();
    let last = chart.buckets[buckets - 1]
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let summary = chart
        .series
        .iter()
        .map(|s| {
            let accepted: u32 = s.accepted.iter().sum();
            let refused: u32 = s.refused.iter().sum();
            format!(
                "{} {} ({accepted} accepted, {refused} refused)",
                s.token,
                accepted + refused
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let legend = chart
        .series
        .iter()
        .map(|series| {
            let accepted: u32 = series.accepted.iter().sum();
            let refused: u32 = series.refused.iter().sum();
            let fill = colour(&senders, &series.token);
            view! {
                // A drawn swatch, not a style attribute: the Content-Security-Policy allows
                // no inline styles.
                <li><svg class="swatch" viewBox="0 0 1 1" aria-hidden="true">
                    <rect width="1" height="1" fill=fill/></svg>
                    {series.token.clone()}
                    <span class="muted">{format!(" {accepted} accepted, {refused} refused")}</span></li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <div class="plot">
                <div class="y-axis" aria-hidden="true">{labels}</div>
                <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img"
                    aria-label=format!("Calls per token over time: {summary}")>
                    {grid}
                    {bars}
                    <line x1="0" x2=WIDTH y1=HEIGHT y2=HEIGHT class="baseline"/>
                </svg>
            </div>
            <div class="x-axis" aria-hidden="true"><span>{first}</span><span>{last}</span></div>
            <figcaption>
                <ul class="legend" aria-label="Legend">{legend}</ul>
                <p class="hint">"Solid: accepted calls. Pale with an outline: refused calls."</p>
            </figcaption>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_on_a_round_number_in_four_steps() {
        assert_eq!(axis_top(1), 4);
        assert_eq!(axis_top(4), 4);
        assert_eq!(axis_top(5), 8);
        assert_eq!(axis_top(9), 20);
        assert_eq!(axis_top(37), 40);
        assert_eq!(axis_top(41), 80);
        assert_eq!(axis_top(1234), 2000);
    }

    #[test]
    fn a_token_keeps_its_colour_whatever_the_filter() {
        let senders: Vec<String> = ["billing", "shop", "POST primary"].map(String::from).into();
        assert_eq!(colour(&senders, "shop"), COLOURS[1]);
        assert_eq!(colour(&senders, "POST primary"), COLOURS[2]);
    }
}
