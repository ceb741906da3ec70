//! The upload service's ways out to other systems: [`objects`] (S3 multipart uploads through
//! aws-sdk-s3) and [`register`] (recording finished uploads in the video and user subgraphs).

pub mod objects;
pub mod register;
