use super::*;
use crate::mesh::inject::workload::WorkloadError;

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v1
spec:
  template:
    metadata:
      labels:
        app: reviews
    spec:
      containers:
      - name: reviews
        image: reviews:1
        ports:
        - containerPort: 9080
";

fn run(input: &str) -> Result<String, InjectError> {
    inject(input, &InjectOptions::default())
}

#[test]
fn split_keeps_every_byte() {
    let input = "# lead\n---\na: 1\n--- # c\nb: 2\n---\n";
    let docs = split(input);
    assert_eq!(docs.len(), 4);
    assert_eq!(docs[0].marker, None);
    assert_eq!(docs[2].marker, Some("--- # c\n"));
    assert_eq!(docs[2].first_line, 4);
    let joined: String = docs.iter().map(RawDocument::text).collect();
    assert_eq!(joined, input);
    assert!(!is_marker("----\n"));
    assert!(!is_marker("  ---\n"));
}

#[test]
fn other_documents_pass_through_byte_for_byte() {
    let input = "---\n# a comment\napiVersion: v1\nkind: Service\nmetadata: {name: 'x'}\n...\n---\nkind: List\nitems: []\n";
    assert_eq!(run(input).as_deref(), Ok(input));
    assert_eq!(run("").as_deref(), Ok(""));
}

#[test]
fn a_deployment_gets_both_containers() {
    let out = run(DEPLOYMENT).unwrap();
    let value: Value = serde_yaml_ng::from_str(&out).unwrap();
    let spec = &value["spec"]["template"]["spec"];
    assert_eq!(
        spec["initContainers"][0]["name"].as_str(),
        Some("meshtrace-init")
    );
    let proxy = &spec["containers"][1];
    assert_eq!(proxy["name"].as_str(), Some("meshtrace-proxy"));
    let args: Vec<&str> = proxy["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        &args[..5],
        ["sidecar", "--service", "reviews", "--app", "127.0.0.1:9080"]
    );
    assert_eq!(
        value["spec"]["template"]["metadata"]["annotations"]["meshtrace.io/status"].as_str(),
        Some("injected")
    );
}

#[test]
fn injection_is_idempotent() {
    let once = run(&format!("{DEPLOYMENT}---\n{DEPLOYMENT}")).unwrap();
    assert_eq!(run(&once).unwrap(), once);
}

#[test]
fn opt_out_and_unknown_groups_are_left_alone() {
    let opted_out = DEPLOYMENT.replace(
        "    metadata:\n",
        "    metadata:\n      annotations:\n        meshtrace.io/inject: \"false\"\n",
    );
    assert_eq!(run(&opted_out).unwrap(), opted_out);
    let crd = DEPLOYMENT.replace("apps/v1", "example.com/v1");
    assert_eq!(run(&crd).unwrap(), crd);
}

#[test]
fn service_name_and_port_fallbacks() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: worker\nspec:\n  containers:\n  - name: w\n    image: w\n";
    let out = run(pod).unwrap();
    assert!(out.contains("- --service\n    - worker\n"), "{out}");
    assert!(out.contains("127.0.0.1:8080"), "{out}");
    let options = InjectOptions {
        app_port: Some(7000),
        ..InjectOptions::default()
    };
    assert!(inject(pod, &options).unwrap().contains("127.0.0.1:7000"));
    let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: []\n";
    assert!(run(cron).unwrap().contains("meshtrace-init"));
}

#[test]
fn errors_name_the_document_and_line() {
    let input = format!("{DEPLOYMENT}---\nkind: Service\n---\na: [1\nb: 2\n");
    let err = run(&input).unwrap_err();
    match &err {
        InjectError::Yaml { document, line, .. } => {
            assert_eq!((*document, *line), (3, 20), "{err}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("document 3: invalid YAML at line 20: "),
        "{err}"
    );
    assert!(!err.to_string().contains("column"), "{err}");
    assert_eq!(
        without_location("did not find ',' at line 2 column 1, while parsing at line 1 column 4"),
        "did not find ',', while parsing"
    );

    let no_template =
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec: {}\n";
    let err = run(no_template).unwrap_err();
    assert!(matches!(
        err,
        InjectError::Workload {
            document: 1,
            line: 1,
            source: WorkloadError::Malformed { .. }
        }
    ));
    assert_eq!(
        err.to_string(),
        "document 1 (line 1): Deployment `d`: `spec.template` is missing or not a mapping"
    );
}
