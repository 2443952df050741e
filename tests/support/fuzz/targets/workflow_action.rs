//! Fuzz target `workflow-action`: the action endpoint's `accept_action_request` (signature, then
//! `parse_execution_request`) on a signed execution request, and the job's queue round trip.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rand::rngs::StdRng;
use serde_json::Value;

use hqsync::adapters::memory::MemoryReplayGuard;
use hqsync::engine::invoicing::action::{
    ActionJobSink, DocActionJob, accept_action_request, document_of_url, parse_execution_request,
};
use hqsync::hubspot::webhook::WebhookVerifier;
use hqsync::intake::{InboundRequest, MAX_BODY_BYTES};
use hqsync::model::ConnectionId;
use hqsync::ports::Job;

use super::hubspot_events::generate_json;
use super::signed_request::HubspotRequest;
use super::{HUBSPOT_SECRET, Target, fixture, hubspot_secret, now, runtime};
use crate::fuzz::mutate::Dictionary;

pub const DICTIONARY: Dictionary = Dictionary {
    keys: &[
        "callbackId",
        "origin",
        "portalId",
        "actionDefinitionId",
        "actionDefinitionVersion",
        "object",
        "objectId",
        "objectType",
        "properties",
        "inputFields",
        "fields",
        "due_in_days",
        "memo",
        "send_email",
    ],
    strings: &[
        "ap-47355542-1589400750477-3-0",
        "DEAL",
        "deal",
        "0-3",
        "CONTACT",
        "0-1",
        "true",
        "TRUE",
        "false",
        "30",
        "30.0",
        "3650",
        "3650.5",
        "3651",
        "-0",
        "1e3",
        "NaN",
        "inf",
        "0x10",
        " 7 ",
        "",
    ],
};

/// Collects submitted jobs (the queue, in memory).
#[derive(Default)]
struct Collect(Mutex<Vec<DocActionJob>>);

#[async_trait]
impl ActionJobSink for Collect {
    async fn submit(&self, job: DocActionJob) -> Result<(), String> {
        self.0.lock().expect("sink lock").push(job);
        Ok(())
    }
}

pub struct WorkflowAction {
    seeds: Vec<Vec<u8>>,
    values: Vec<Value>,
    runtime: tokio::runtime::Runtime,
}

impl WorkflowAction {
    pub fn new() -> Self {
        let seeds = vec![
            fixture("hubspot", "workflow-action-execution-request.json"),
            br#"{"callbackId":"ap-1-2-3-0","origin":{"portalId":7},"object":{"objectId":55,"objectType":"DEAL"},"inputFields":{"due_in_days":"10","memo":"m","send_email":"true"},"fields":{"due_in_days":"10"}}"#.to_vec(),
        ];
        let values = seeds
            .iter()
            .map(|s| serde_json::from_slice(s).expect("seed is JSON"))
            .collect();
        WorkflowAction {
            seeds,
            values,
            runtime: runtime(),
        }
    }
}

impl Target for WorkflowAction {
    fn name(&self) -> &'static str {
        "workflow-action"
    }

    fn generate(&self, rng: &mut StdRng) -> Vec<u8> {
        let body = generate_json(rng, &self.seeds, &self.values, &DICTIONARY);
        HubspotRequest::generate(rng, body).encode()
    }

    fn run(&self, input: &[u8]) -> Result<String, String> {
        let request = HubspotRequest::decode(input);
        let parsed = document_of_url(&request.url)
            .and_then(|kind| parse_execution_request(&request.body, kind));
        if let Ok(job) = &parsed {
            check_job(job)?;
        }
        let pairs = request.header_pairs();
        let verifier = || {
            WebhookVerifier::new(hubspot_secret())
                .allowing_legacy(request.allow_legacy)
                .with_replay_guard(Arc::new(MemoryReplayGuard::default()))
        };
        let signature_ok = verifier().verify(&request.signed(&pairs), now()).is_ok();
        let inbound = InboundRequest {
            method: &request.method,
            url: &request.url,
            headers: &pairs,
            body: &request.body,
        };
        let sink = Collect::default();
        let answer =
            self.runtime
                .block_on(accept_action_request(&verifier(), &inbound, now(), &sink));
        let submitted = sink.0.into_inner().expect("sink lock");
        let status = answer.as_ref().map_or_else(|e| e.status(), |_| 200);
        if let Err(e) = &answer
            && e.to_string().contains(HUBSPOT_SECRET)
        {
            return Err("an error shows the client secret".into());
        }
        let expected = if request.body.len() > MAX_BODY_BYTES {
            413
        } else if !signature_ok {
            401
        } else if parsed.is_err() {
            400
        } else {
            200
        };
        if status != expected {
            return Err(format!(
                "the endpoint answered {status}, expected {expected}"
            ));
        }
        let blocked = answer
            .as_ref()
            .ok()
            .and_then(|v| v.pointer("/outputFields/hs_execution_state"))
            == Some(&Value::from("BLOCK"));
        match (&parsed, status) {
            (Ok(job), 200) if submitted == [job.clone()] && blocked => {}
            (Ok(_), 200) if !blocked => {
                return Err("an accepted execution was not answered BLOCK".into());
            }
            (_, 200) => return Err(format!("accepted, but {} jobs submitted", submitted.len())),
            _ if !submitted.is_empty() => return Err("refused, yet a job was submitted".into()),
            _ => {}
        }
        Ok(match (&parsed, status) {
            (Ok(_), 200) => "ok BLOCK".to_owned(),
            (Err(_), 400) => "400 invalid request".to_owned(),
            (_, status) => format!("{status} refused"),
        })
    }
}

/// A parsed execution is usable and survives the queue: job -> JSON -> job -> execution.
fn check_job(job: &DocActionJob) -> Result<(), String> {
    if job.callback_id.is_empty() || job.callback_id.trim() != job.callback_id {
        return Err(format!(
            "callbackId {:?} is empty or untrimmed",
            job.callback_id
        ));
    }
    if job.inputs.due_in_days.is_some_and(|d| d > 3650) {
        return Err(format!(
            "due_in_days {:?} over 3650",
            job.inputs.due_in_days
        ));
    }
    let connection = ConnectionId::new("fuzz").expect("valid id");
    let wire = serde_json::to_string(&job.to_job(connection, now()))
        .map_err(|e| format!("the job does not serialise: {e}"))?;
    let back: Job =
        serde_json::from_str(&wire).map_err(|e| format!("the job does not deserialise: {e}"))?;
    if DocActionJob::from_job(&back, job.portal_id).as_ref() != Some(job) {
        return Err("the execution changed on its way through the queue".into());
    }
    Ok(())
}
