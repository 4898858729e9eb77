//! Table-driven tests of the request parsers: every parameter, good and bad, with the exact
//! message a client sees.

use std::collections::BTreeMap;

use super::*;
use crate::store::TraceQuery;

const NOW: u64 = 1_700_000_000_000_000_000;
const HOUR: u64 = 3_600_000_000_000;

fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn search(query: &str) -> Result<TraceSearch, String> {
    parse_trace_search(&pairs(query), NOW).map_err(|err| err.to_string())
}

fn tags(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn trace_search_defaults() {
    assert_eq!(
        search(""),
        Ok(TraceSearch::Query(TraceQuery {
            limit: DEFAULT_LIMIT,
            ..TraceQuery::default()
        }))
    );
}

#[rustfmt::skip]
#[test]
fn trace_search_table() {
    let q = |f: &dyn Fn(&mut TraceQuery)| {
        let mut query = TraceQuery { limit: DEFAULT_LIMIT, ..TraceQuery::default() };
        f(&mut query);
        Ok(TraceSearch::Query(query))
    };
    let cases: Vec<(&str, Result<TraceSearch, String>)> = vec![
        ("service=frontend&operation=GET%20/", q(&|t| { t.service = Some("frontend".into()); t.operation = Some("GET%20/".into()); })),
        ("service=&operation=&limit=",        q(&|_| {})),
        ("limit=20",                          q(&|t| t.limit = 20)),
        ("limit=0",                           q(&|t| t.limit = 0)),
        ("start=1700000000000000&end=1700000001000000",
                                              q(&|t| { t.start_min = Some(NOW); t.start_max = Some(NOW + 1_000_000_000); })),
        ("lookback=1h",                       q(&|t| t.start_min = Some(NOW - HOUR))),
        ("lookback=2d&end=1700000000000000",  q(&|t| { t.start_min = Some(NOW - 48 * HOUR); t.start_max = Some(NOW); })),
        ("lookback=1h&start=5",               q(&|t| t.start_min = Some(5_000))),
        ("lookback=custom",                   q(&|_| {})),
        ("minDuration=1.2s&maxDuration=1m30s",q(&|t| { t.duration_min = Some(1_200_000_000); t.duration_max = Some(90_000_000_000); })),
        ("minDuration=100us",                 q(&|t| t.duration_min = Some(100_000))),
        ("maxDuration=1µs",                   q(&|t| t.duration_max = Some(1_000))),
        ("minDuration=5ms&maxDuration=5ms",   q(&|t| { t.duration_min = Some(5_000_000); t.duration_max = Some(5_000_000); })),
        ("tag=error:true&tag=http.url:http://a:80/x",
                                              q(&|t| t.tags = tags(&[("error", "true"), ("http.url", "http://a:80/x")]))),
        (r#"tags={"error":"true","http.status_code":500,"ok":false}"#,
                                              q(&|t| t.tags = tags(&[("error", "true"), ("http.status_code", "500"), ("ok", "false")]))),
        (r#"tags={"k":"json"}&tag=k:simple"#, q(&|t| t.tags = tags(&[("k", "json")]))),
        ("tags={}",                           q(&|_| {})),
        ("traceID=abc&traceID=4bf92f3577b34da6a3ce929d0e0e4736&service=x",
                                              Ok(TraceSearch::ByIds(vec![0xabcu128.to_be_bytes(), 0x4bf92f3577b34da6a3ce929d0e0e4736u128.to_be_bytes()]))),
        ("prettyPrint=true&raw=false",        q(&|_| {})),
        // Errors, each naming its parameter.
        ("limit=ten",        Err(r#"unable to parse param 'limit': "ten" is not a non-negative integer"#.into())),
        ("limit=-1",         Err(r#"unable to parse param 'limit': "-1" is not a non-negative integer"#.into())),
        ("start=yesterday",  Err(r#"unable to parse param 'start': "yesterday" is not a non-negative integer"#.into())),
        ("end=1.5",          Err(r#"unable to parse param 'end': "1.5" is not a non-negative integer"#.into())),
        ("minDuration=abc",  Err(r#"unable to parse param 'minDuration': invalid duration "abc""#.into())),
        ("minDuration=10",   Err(r#"unable to parse param 'minDuration': missing unit in duration "10""#.into())),
        ("maxDuration=3d",   Err(r#"unable to parse param 'maxDuration': unknown unit "d" in duration "3d""#.into())),
        ("maxDuration=-1s",  Err(r#"unable to parse param 'maxDuration': negative duration "-1s""#.into())),
        ("minDuration=2s&maxDuration=1s", Err("'maxDuration' should be greater than 'minDuration'".into())),
        ("lookback=1y",      Err(r#"unable to parse param 'lookback': unknown unit "y" in duration "1y""#.into())),
        ("tag=novalue",      Err("malformed 'tag' parameter, expecting key:value, received: novalue".into())),
        ("tags=error=true",  Err("malformed 'tags' parameter, cannot unmarshal JSON: expected value at line 1 column 1".into())),
        (r#"tags={"a":{"b":1}}"#, Err(r#"malformed 'tags' parameter, cannot unmarshal JSON: value of "a" is {"b":1}, expected a string"#.into())),
        ("traceID=xyz",      Err("unable to parse param 'traceID': trace id is not hex".into())),
    ];
    for (query, want) in cases {
        assert_eq!(search(query), want, "query {query:?}");
    }
}

#[rustfmt::skip]
#[test]
fn dependencies_table() {
    let day = 24 * HOUR;
    let window = |start, end, service: Option<&str>| Ok(DependencyWindow { start, end, service: service.map(str::to_owned) });
    let cases: Vec<(&str, Result<DependencyWindow, String>)> = vec![
        ("",                                        window(NOW - day, NOW, None)),
        ("endTs=1700000000000&lookback=3600000",    window(NOW - HOUR, NOW, None)),
        ("endTs=1700000000000&lookback=2d&service=a", window(NOW - 2 * day, NOW, Some("a"))),
        ("lookback=99999999999999999999",           Err(r#"unable to parse param 'lookback': missing unit in duration "99999999999999999999""#.into())),
        ("endTs=now",                               Err(r#"unable to parse param 'endTs': "now" is not a non-negative integer"#.into())),
        ("lookback=soon",                           Err(r#"unable to parse param 'lookback': invalid duration "soon""#.into())),
    ];
    for (query, want) in cases {
        assert_eq!(parse_dependencies(&pairs(query), NOW).map_err(|e| e.to_string()), want, "query {query:?}");
    }
}

#[rustfmt::skip]
#[test]
fn v3_find_table() {
    let window = "query.start_time_min=2023-11-14T22:13:20Z&query.start_time_max=2023-11-14T23:13:20Z";
    let base = TraceQuery { start_min: Some(NOW), start_max: Some(NOW + HOUR), ..TraceQuery::default() };
    let cases: Vec<(String, Result<TraceQuery, String>)> = vec![
        (window.to_owned(), Ok(base.clone())),
        (format!("{window}&query.service_name=a&query.operation_name=b&query.num_traces=5&query.duration_min=1ms&query.duration_max=2s"),
            Ok(TraceQuery { service: Some("a".into()), operation: Some("b".into()), limit: 5,
                            duration_min: Some(1_000_000), duration_max: Some(2_000_000_000), ..base.clone() })),
        ("query.service_name=a".to_owned(), Err("parameter 'query.start_time_min' is required".into())),
        ("query.start_time_min=2023-11-14T22:13:20Z".to_owned(), Err("parameter 'query.start_time_max' is required".into())),
        (format!("{window}&query.num_traces=x"), Err(r#"unable to parse param 'query.num_traces': "x" is not a non-negative integer"#.into())),
        (format!("{window}&query.duration_min=1"), Err(r#"unable to parse param 'query.duration_min': missing unit in duration "1""#.into())),
        ("query.start_time_min=1700000000&query.start_time_max=2023-11-14T23:13:20Z".to_owned(),
            Err(r#"unable to parse param 'query.start_time_min': "1700000000" is not an RFC 3339 date-time"#.into())),
    ];
    for (query, want) in cases {
        assert_eq!(parse_v3_find(&pairs(&query)).map_err(|e| e.to_string()), want, "query {query:?}");
    }
    assert_eq!(check_v3_get(&pairs("start_time=2023-11-14T22:13:20Z")), Ok(()));
    assert_eq!(
        check_v3_get(&pairs("end_time=noon")).map_err(|e| e.to_string()),
        Err(r#"unable to parse param 'end_time': "noon" is not an RFC 3339 date-time"#.into())
    );
}
