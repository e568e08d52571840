//! Decoding a 100-page query response built from a recorded Notion page with six typical
//! properties (title, rich text, status, URL, date, last edited time).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use notion_client::{ListResponse, Page, decode_json};
use serde_json::{Value, json};

const RECORDED: &str = include_str!("../../../fixtures/notion/recorded/test_pages_retrieve.json");

fn query_response() -> Vec<u8> {
    let recorded: Value = serde_json::from_str(RECORDED).expect("fixture is JSON");
    let page = recorded["interactions"][1]["response_body"].clone();
    assert_eq!(page["object"], "page");
    let text = |s: &str| {
        json!([{"type":"text","text":{"content":s,"link":null},
                "annotations":{"bold":false,"italic":false,"strikethrough":false,"underline":false,"code":false,"color":"default"},
                "plain_text":s,"href":null}])
    };
    let results: Vec<Value> = (0..100)
        .map(|i| {
            let mut p = page.clone();
            p["id"] = json!(format!("393abc1e-edcd-81f5-ae94-{:012x}", i));
            p["parent"] = json!({"type":"data_source_id","data_source_id":"393abc1e-edcd-8179-9372-000bd163e729","database_id":"3e631832-5efa-4702-8171-8b8a0e6651ba"});
            p["properties"] = json!({
                "Name": {"id":"title","type":"title","title": text(&format!("Election {i}"))},
                "Description": {"id":"a%3Bb","type":"rich_text","rich_text": text("Annual board election of the association")},
                "Voting Status": {"id":"stat","type":"status","status":{"id":"330a4b7f-1d2e-4c47-9f43-3c0c1f1e2a11","name":"In Voting","color":"blue"}},
                "Results Link": {"id":"Z%3ClH","type":"url","url": format!("https://vote.example.org/e/elec_{i}/results")},
                "Opens": {"id":"op%3D","type":"date","date":{"start":"2026-09-15T09:00:00.000+00:00","end":null,"time_zone":null}},
                "Edited": {"id":"ed%3F","type":"last_edited_time","last_edited_time":"2026-07-04T09:08:00.000Z"}
            });
            p
        })
        .collect();
    serde_json::to_vec(&json!({
        "object":"list","results":results,"next_cursor":null,"has_more":false,
        "type":"page_or_data_source","page_or_data_source":{},"request_id":"bench"
    }))
    .expect("serialises")
}

fn bench_decode(c: &mut Criterion) {
    let body = query_response();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("query_response_100_pages", |b| {
        b.iter(|| {
            let list: ListResponse<Page> =
                decode_json(std::hint::black_box(&body)).expect("decodes");
            assert_eq!(list.results.len(), 100);
            list
        })
    });
    group.finish();
}

criterion_group!(benches, bench_decode);
criterion_main!(benches);
