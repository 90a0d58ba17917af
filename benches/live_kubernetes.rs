//! Live Kubernetes reading through the test API server (tests/support/apiserver.rs, built
//! from the recordings in ../shared/k8s-recorded): 10,000 objects over several kinds and
//! namespaces, read with the default options (8 requests in flight, pages of 500). Prints
//! wall time and request count; not a timed test.
//!
//!     cargo bench --bench live_kubernetes

#[path = "../tests/support/mod.rs"]
mod support;

use plumbline::live::kubernetes::{read_clusters, ClusterTarget, ReadOptions};
use plumbline::live::KindRequest;
use std::time::Instant;
use support::apiserver::ApiServer;

fn main() {
    let server = ApiServer::start();
    // 10,000 objects: 4 kinds × 5 namespaces × 500.
    let kinds = [
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("v1", "ServiceAccount"),
        ("apps/v1", "Deployment"),
    ];
    let namespaces: Vec<String> = (0..5).map(|i| format!("bench-{i}")).collect();
    for (av, kind) in kinds {
        for ns in &namespaces {
            server.add_synthetic(av, kind, Some(ns), "obj", 500);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let target = ClusterTarget {
        context: Some("bench".to_string()),
        kubeconfig: Some(server.write_kubeconfig(dir.path(), "bench", None)),
    };
    let requests: Vec<KindRequest> = kinds
        .iter()
        .map(|(av, k)| KindRequest {
            api_version: av.to_string(),
            kind: k.to_string(),
            namespaces: namespaces.iter().cloned().collect(),
        })
        .collect();
    for (label, opts) in [
        (
            "default (8 in flight, pages of 500)",
            ReadOptions::default(),
        ),
        (
            "1 in flight, pages of 500",
            ReadOptions {
                max_concurrency: 1,
                ..ReadOptions::default()
            },
        ),
        (
            "8 in flight, pages of 100",
            ReadOptions {
                page_size: 100,
                ..ReadOptions::default()
            },
        ),
    ] {
        let mut walls = Vec::new();
        let mut last = None;
        for _ in 0..5 {
            server.clear_requests();
            let t = Instant::now();
            let mut r = read_clusters(std::slice::from_ref(&target), &requests, &opts);
            walls.push(t.elapsed().as_secs_f64());
            last = Some(r.pop().unwrap().expect("readable"));
        }
        let c = last.unwrap();
        assert!(c.notifications.is_empty());
        walls.sort_by(f64::total_cmp);
        println!(
            "live_kubernetes/{label}: {} objects, {} kind scopes, {} requests, wall median {:.3}s [min {:.3}s, max {:.3}s]",
            c.objects.len(),
            c.complete.len(),
            c.requests,
            walls[walls.len() / 2],
            walls[0],
            walls[walls.len() - 1]
        );
    }
}
