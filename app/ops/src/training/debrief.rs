//! The debrief: one self-contained HTML page (no scripts, no external files) with the
//! scenario, the events injected against the trainees' responses and their times, and a plot
//! (inline SVG, drawn with plotters) of every channel an event touched.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use plotters::prelude::*;

use super::scenario::{Action, Scenario, ScenarioEvent};
use super::score::{Outcome, Scored};

/// One channel's samples over the run: (Unix seconds, value).
pub struct Trace<'a> {
    /// The channel id.
    pub channel: &'a str,
    /// Its unit.
    pub unit: &'a str,
    /// The samples.
    pub points: Vec<(f64, f64)>,
}

/// What the debrief shows.
pub struct DebriefInput<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// When the mission started (Unix seconds).
    pub started: f64,
    /// Events fired, with the wall time each fired.
    pub fired: &'a [(ScenarioEvent, f64)],
    /// The expected responses, scored.
    pub scores: &'a [Scored],
    /// The channels events touched, with their samples.
    pub traces: &'a [Trace<'a>],
    /// The commands sent in the session, each with its stages.
    pub commands: &'a [crate::commanding::Command],
    /// When it is made.
    pub generated_at: DateTime<Utc>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "T+00:06:00" for mission seconds.
fn met(seconds: f64) -> String {
    #[allow(clippy::cast_possible_truncation, reason = "mission seconds")]
    let s = seconds.max(0.0).round() as i64;
    format!("T+{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// The channels the scenario's events act on, in order of first use.
pub fn touched_channels(scenario: &Scenario) -> Vec<String> {
    let mut channels: Vec<String> = Vec::new();
    let mut add = |c: String| {
        if !channels.contains(&c) {
            channels.push(c);
        }
    };
    for event in &scenario.events {
        match &event.action {
            Action::Fault { channel, .. } | Action::Clear { channel } => add(channel.clone()),
            Action::Medical { seat, .. } => {
                add(format!("crew.{seat}.heart_rate"));
                add(format!("crew.{seat}.spo2"));
            }
            Action::LossOfComms { .. } => add("com.signal_strength".to_owned()),
            Action::Scrub { .. } => {}
        }
    }
    channels
}

/// One trace as an SVG plot, mission time on x, the events marked.
fn plot(trace: &Trace<'_>, input: &DebriefInput<'_>) -> Result<String, String> {
    crate::incidents::report::register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let xs: Vec<(f64, f64)> = trace
            .points
            .iter()
            .map(|(t, v)| ((t - input.started) / 60.0, *v))
            .collect();
        let x_max = xs.last().map_or(1.0, |(x, _)| x.max(1.0));
        let (lo, hi) = xs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
                (lo.min(*v), hi.max(*v))
            });
        let (lo, hi) = if lo.is_finite() {
            let pad = ((hi - lo) * 0.1).max(1e-3);
            (lo - pad, hi + pad)
        } else {
            (0.0, 1.0)
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{} ({})", trace.channel, trace.unit),
                ("sans-serif", 18),
            )
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, lo..hi)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("minutes into the mission")
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(xs, BLUE.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        for (_, fired_at) in input.fired {
            let x = (fired_at - input.started) / 60.0;
            chart
                .draw_series(LineSeries::new([(x, lo), (x, hi)], RED.stroke_width(1)))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The debrief page.
pub fn to_html(input: &DebriefInput<'_>) -> Result<String, String> {
    let scenario = input.scenario;
    let points: f64 = input.scores.iter().map(|s| s.outcome.points()).sum();
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Debrief: {title}</title>\
         <style>body{{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}}\
         .met{{color:#1a7f37}}.late{{color:#9a6700}}.missed{{color:#cf222e}}.pending{{color:#666}}</style></head><body>\
         <h1>Debrief: {title}</h1><p>{briefing}</p><p>Generated {generated} UTC. Score: <strong>{points:.1} of {total}</strong> points \
         (1 a response in time, 0.5 late).</p>",
        title = escape(&scenario.title),
        briefing = escape(&scenario.briefing),
        generated = input.generated_at.format("%Y-%m-%d %H:%M"),
        total = input.scores.len(),
    );
    html.push_str("<h2>Events injected</h2><table><tr><th>Mission time</th><th>Event</th></tr>");
    for (event, fired_at) in input.fired {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td></tr>",
            met(fired_at - input.started),
            escape(&event.note)
        );
    }
    html.push_str("</table><h2>Responses</h2><table><tr><th>Expected</th><th>After the event</th><th>Outcome</th></tr>");
    for scored in input.scores {
        let (class, outcome) = match scored.outcome {
            Outcome::Met(s) => ("met", format!("met, {s:.0} s")),
            Outcome::Late(s) => ("late", format!("late, {s:.0} s")),
            Outcome::Missed => ("missed", "missed".to_owned()),
            Outcome::Pending(left) => ("pending", format!("pending, {left:.0} s left")),
        };
        let _ = write!(
            html,
            "<tr><td>{}<br><small>{}</small></td><td>{}</td><td class=\"{class}\">{outcome}</td></tr>",
            escape(&scored.describe()),
            escape(&scored.event),
            met(scored.fired_at - input.started),
        );
    }
    html.push_str("</table><h2>Commands</h2>");
    if input.commands.is_empty() {
        html.push_str("<p>No command was sent.</p>");
    } else {
        html.push_str("<table><tr><th>Command</th><th>Stages</th></tr>");
        for command in input.commands.iter().rev() {
            let stages: Vec<String> = command
                .stages
                .iter()
                .map(|s| {
                    let at = crate::telemetry::unix_seconds(
                        galaxium_sync::time::parse(&s.at).unwrap_or(input.generated_at),
                    );
                    let detail = if s.detail.is_empty() || s.stage == "queued" {
                        String::new()
                    } else {
                        format!(": {}", escape(&s.detail))
                    };
                    format!(
                        "{} {} by {}{detail}",
                        met(at - input.started),
                        escape(&s.stage),
                        escape(&s.by)
                    )
                })
                .collect();
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td class=\"{}\">{}</td></tr>",
                escape(&command.text_form()),
                match command.status.as_str() {
                    "verified" => "met",
                    "failed" => "missed",
                    _ => "pending",
                },
                stages.join("<br>")
            );
        }
        html.push_str("</table>");
    }
    html.push_str("<h2>Telemetry</h2><p>Red lines mark the events.</p>");
    for trace in input.traces {
        html.push_str(&plot(trace, input)?);
    }
    html.push_str("</body></html>");
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::scenario;
    use crate::training::score::Scored;

    #[test]
    fn the_debrief_is_one_page_with_events_responses_and_plots() {
        let leak = scenario::shipped().unwrap().remove(0);
        let started = 1_800_000_000.0;
        let fired = vec![(leak.events[0].clone(), started + 360.0)];
        let scores = vec![Scored {
            event: leak.events[0].note.clone(),
            fired_at: started + 360.0,
            expected: leak.events[0].expect[0].clone(),
            outcome: Outcome::Met(42.0),
        }];
        let points: Vec<(f64, f64)> = (0..900)
            .map(|s| {
                (
                    started + f64::from(s),
                    101.2 - (f64::from(s) - 360.0).max(0.0) * 0.0075,
                )
            })
            .collect();
        let traces = [Trace {
            channel: "ls.cabin_pressure",
            unit: "kPa",
            points,
        }];
        let html = to_html(&DebriefInput {
            scenario: &leak,
            started,
            fired: &fired,
            scores: &scores,
            commands: &[],
            traces: &traces,
            generated_at: Utc::now(),
        })
        .unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<h1>Debrief: Slow cabin leak</h1>"));
        assert!(html.contains(
            "<td>T+00:06:00</td><td>A hatch seal starts to leak: about 0.45 kPa a minute</td>"
        ));
        assert!(html.contains("acknowledge the ls.cabin_pressure alarm within 120 s"));
        assert!(html.contains("class=\"met\">met, 42 s"));
        assert!(html.contains("Score: <strong>1.0 of 1</strong>"));
        assert_eq!(html.matches("<svg").count(), 1);
        assert!(!html.contains("<script"));
        assert_eq!(touched_channels(&leak), ["ls.cabin_pressure", "ls.ppo2"]);
    }
}
