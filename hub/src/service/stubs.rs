//! `assethub.v1.AssetHub` as the hub serves it: the `served` stubs (the same messages on the
//! wire, with every asset carried encoded once: `assethub_proto::encoded`) in front of the
//! service's methods, which read the public request types. A query's request is moved field
//! by field into the public type (every field named, so a field added to the proto is a
//! compile error here, not a field silently dropped); the rarer calls are re-read from their
//! encoding.

use super::{HubService, ResultStream};
use assethub_proto::served::v1 as served;
use assethub_proto::v1 as pb;
use prost::Message;
use tonic::{Request, Response, Status};

#[tonic::async_trait]
impl served::asset_hub_server::AssetHub for HubService {
    async fn query(
        &self,
        request: Request<served::QueryRequest>,
    ) -> Result<Response<served::QueryResponse>, Status> {
        self.query_impl(request.map(query_request)).await
    }

    type StreamQueryStream = ResultStream<served::SourceResult>;

    async fn stream_query(
        &self,
        request: Request<served::QueryRequest>,
    ) -> Result<Response<Self::StreamQueryStream>, Status> {
        self.stream_query_impl(request.map(query_request)).await
    }

    type BatchQueryStream = ResultStream<served::BatchItemResult>;

    async fn batch_query(
        &self,
        request: Request<served::BatchQueryRequest>,
    ) -> Result<Response<Self::BatchQueryStream>, Status> {
        self.batch_query_impl(recast_request(request)?).await
    }

    async fn list_sources(
        &self,
        request: Request<served::ListSourcesRequest>,
    ) -> Result<Response<served::ListSourcesResponse>, Status> {
        let response = self.list_sources_impl(recast_request(request)?).await?;
        recast_response(response)
    }

    async fn list_inquiries(
        &self,
        request: Request<served::ListInquiriesRequest>,
    ) -> Result<Response<served::ListInquiriesResponse>, Status> {
        let response = self.list_inquiries_impl(recast_request(request)?).await?;
        recast_response(response)
    }
}

/// The public form of a query's request, moved field by field.
fn query_request(request: served::QueryRequest) -> pb::QueryRequest {
    let served::QueryRequest {
        case_number,
        debtor,
        kinds,
        fresh,
        deadline_ms,
        kind_names,
    } = request;
    pb::QueryRequest {
        case_number,
        debtor: debtor.map(|served::Debtor { id_number, name }| pb::Debtor { id_number, name }),
        kinds,
        fresh,
        deadline_ms,
        kind_names,
    }
}

/// `message` as the wire-identical type `B` (through its encoding).
pub(super) fn recast<A: Message, B: Message + Default>(message: &A) -> Result<B, Status> {
    B::decode(message.encode_to_vec().as_slice()).map_err(|e| {
        tracing::error!(error = %e, "a message does not decode as its served twin");
        Status::internal("the hub could not form its answer")
    })
}

fn recast_request<A: Message, B: Message + Default>(
    request: Request<A>,
) -> Result<Request<B>, Status> {
    let (metadata, extensions, message) = request.into_parts();
    Ok(Request::from_parts(metadata, extensions, recast(&message)?))
}

fn recast_response<A: Message, B: Message + Default>(
    response: Response<A>,
) -> Result<Response<B>, Status> {
    let (metadata, message, extensions) = response.into_parts();
    Ok(Response::from_parts(
        metadata,
        recast(&message)?,
        extensions,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_request_moves_into_its_public_form_unchanged() {
        let request = served::QueryRequest {
            case_number: "(2024)鄂0116执1234号".into(),
            debtor: Some(served::Debtor {
                id_number: "420106199001011234".into(),
                name: "张伟".into(),
            }),
            kinds: vec![1, 3],
            fresh: true,
            deadline_ms: 1_500,
            kind_names: vec!["securities".into()],
        };
        let moved = query_request(request.clone());
        // The oracle: the public message decoded from the served one's bytes.
        let decoded = pb::QueryRequest::decode(request.encode_to_vec().as_slice()).unwrap();
        assert_eq!(moved, decoded);
        assert_eq!(moved.debtor.unwrap().name, "张伟");
    }
}
