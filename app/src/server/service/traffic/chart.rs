//! The data viewer's chart: each sender's accepted and refused calls in equal spans.
use std::collections::BTreeMap;

use crate::model::endpoint::{Chart, RequestView, Series};

/// Calls per sender in `buckets` equal spans from the first call to the last, for the chart.
pub fn calls_per_sender(requests: &[RequestView], buckets: usize) -> Chart {
    let (Some(first), Some(last)) = (
        requests.iter().map(|r| r.received_at).min(),
        requests.iter().map(|r| r.received_at).max(),
    ) else {
        return Chart::default();
    };
    let buckets = buckets.max(1);
    let count = i64::try_from(buckets).unwrap_or(i64::MAX);
    let span = (last - first).num_milliseconds().max(1) + 1;
    let width = (span + count - 1) / count;
    let mut series: BTreeMap<String, (Vec<u32>, Vec<u32>)> = BTreeMap::new();
    for request in requests {
        let index = usize::try_from((request.received_at - first).num_milliseconds() / width)
            .unwrap_or_default()
            .min(buckets - 1);
        let (accepted, refused) = series
            .entry(request.token.clone())
            .or_insert_with(|| (vec![0; buckets], vec![0; buckets]));
        let counts = if request.status < 400 {
            accepted
        } else {
            refused
        };
        counts[index] += request.calls;
    }
    Chart {
        buckets: (0..count)
            .map(|i| first + chrono::Duration::milliseconds(width * i))
            .collect(),
        series: series
            .into_iter()
            .map(|(token, (accepted, refused))| Series {
                token,
                accepted,
                refused,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn call(token: &str, seconds: i64) -> RequestView {
        RequestView {
            id: 0,
            received_at: DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap(),
            method: "POST".into(),
            token: token.into(),
            endpoint_token_id: None,
            status: 201,
            size: 0,
            ip: None,
            record_id: None,
            calls: 1,
        }
    }

    #[test]
    fn the_chart_counts_each_senders_calls_in_equal_spans() {
        let refused = RequestView {
            status: 403,
            ..call("shop", 1)
        };
        let calls = [
            call("shop", 0),
            refused,
            call("billing", 59),
            call("shop", 99),
        ];
        let chart = calls_per_sender(&calls, 4);
        assert_eq!(chart.buckets.len(), 4);
        let counts = |token: &str| {
            chart
                .series
                .iter()
                .find(|s| s.token == token)
                .map(|s| (s.accepted.clone(), s.refused.clone()))
        };
        assert_eq!(counts("shop"), Some((vec![1, 0, 0, 1], vec![1, 0, 0, 0])));
        assert_eq!(counts("billing"), Some((vec![0, 0, 1, 0], vec![0; 4])));
        assert_eq!(calls_per_sender(&[], 4), Chart::default());
    }
}
