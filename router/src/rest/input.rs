//! A REST request's parameters: the query string, then the body, which may be
//! `multipart/form-data` (the contract's format), `application/x-www-form-urlencoded` or a JSON
//! object with the same field names. A body field wins over a query parameter of the same name.
//! File parts are not parameters (the file routes stream past this code).

use std::collections::HashMap;

use kit::{AppError, ErrorCode};

/// Parameters that carry secrets: refused in a query string, which browsers, proxies and access
/// logs keep.
pub const BODY_ONLY: &[&str] = &[
    "password",
    "code",
    "mfa_code",
    "current_code",
    "secret",
    "refresh_token",
];

/// Parameter name to text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Adds the pairs of a query string; a [`BODY_ONLY`] parameter there is refused.
    pub fn add_query(&mut self, raw: &[u8]) -> Result<(), AppError> {
        if let Some((name, _)) =
            form_urlencoded::parse(raw).find(|(k, _)| BODY_ONLY.contains(&k.as_ref()))
        {
            return Err(AppError::with_message(
                ErrorCode::InvalidParameter,
                format!(
                    "`{name}` is a secret: send it in the form body, never in the query string"
                ),
            ));
        }
        self.add_urlencoded(raw);
        Ok(())
    }

    /// Adds the pairs of a query string or url-encoded body.
    pub fn add_urlencoded(&mut self, raw: &[u8]) {
        for (k, v) in form_urlencoded::parse(raw) {
            self.0.insert(k.into_owned(), v.into_owned());
        }
    }

    /// Adds the fields of a body of `content_type`.
    pub async fn add_body(
        &mut self,
        content_type: &str,
        body: bytes::Bytes,
    ) -> Result<(), AppError> {
        if body.is_empty() {
            return Ok(());
        }
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "multipart/form-data" => self.add_multipart(content_type, body).await,
            "application/json" => self.add_json(&body),
            // Clients that send a form without a content type get the benefit of the doubt.
            "application/x-www-form-urlencoded" | "" => {
                self.add_urlencoded(&body);
                Ok(())
            }
            other => Err(AppError::with_message(
                ErrorCode::UnsupportedMediaType,
                format!("a {other} body is not a form: send multipart/form-data"),
            )),
        }
    }

    async fn add_multipart(
        &mut self,
        content_type: &str,
        body: bytes::Bytes,
    ) -> Result<(), AppError> {
        let boundary = multer::parse_boundary(content_type).map_err(|_| malformed())?;
        let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut form = multer::Multipart::new(stream, boundary);
        while let Some(field) = form.next_field().await.map_err(|_| malformed())? {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            if field.file_name().is_some() {
                continue;
            }
            let text = field.text().await.map_err(|_| malformed())?;
            self.0.insert(name, text);
        }
        Ok(())
    }

    fn add_json(&mut self, body: &[u8]) -> Result<(), AppError> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
            AppError::with_message(ErrorCode::InvalidParameter, "the JSON body does not parse")
        })?;
        let serde_json::Value::Object(fields) = value else {
            return Err(AppError::with_message(
                ErrorCode::InvalidParameter,
                "the JSON body must be an object of fields",
            ));
        };
        for (k, v) in fields {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => continue,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(AppError::with_message(
                        ErrorCode::InvalidParameter,
                        format!("{k} must be a string or a number"),
                    ));
                }
            };
            self.0.insert(k, text);
        }
        Ok(())
    }
}

fn malformed() -> AppError {
    AppError::with_message(
        ErrorCode::InvalidParameter,
        "the multipart body is malformed",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(content_type: &str, raw: &'static str) -> Result<Params, AppError> {
        let mut p = Params::default();
        p.add_urlencoded(b"page_num=1&keywords=query");
        p.add_body(content_type, bytes::Bytes::from_static(raw.as_bytes()))
            .await
            .map(|()| p)
    }

    #[test]
    fn secrets_are_refused_in_the_query_string_even_percent_encoded() {
        for raw in [
            "username=a&password=b",
            "pass%77ord=b",
            "refresh_token=x",
            "code=123456",
        ] {
            let err = Params::default().add_query(raw.as_bytes()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidParameter, "{raw}");
        }
        let mut p = Params::default();
        p.add_query(b"username=a&page_size=3").unwrap();
        assert_eq!(p.get("username"), Some("a"));
    }

    #[tokio::test]
    async fn all_three_body_formats_give_the_same_fields_and_the_body_wins() {
        let multipart = "--XX\r\nContent-Disposition: form-data; name=\"keywords\"\r\n\r\n\u{732b} cat\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nfile\r\n--XX--\r\n";
        for p in [
            body("multipart/form-data; boundary=XX", multipart)
                .await
                .unwrap(),
            body(
                "application/x-www-form-urlencoded",
                "keywords=%E7%8C%AB+cat",
            )
            .await
            .unwrap(),
            body("application/json", r#"{"keywords": "猫 cat", "n": null}"#)
                .await
                .unwrap(),
        ] {
            assert_eq!(p.get("keywords"), Some("猫 cat"));
            assert_eq!(p.get("page_num"), Some("1"), "query parameters stay");
            assert_eq!(p.get("f"), None, "files are not parameters");
        }
        let p = body("application/json", r#"{"page_size": 20, "x": true}"#)
            .await
            .unwrap();
        assert_eq!((p.get("page_size"), p.get("x")), (Some("20"), Some("true")));
    }

    #[tokio::test]
    async fn malformed_bodies_are_parameter_errors() {
        let code = |r: Result<Params, AppError>| r.unwrap_err().code();
        assert_eq!(
            code(body("multipart/form-data", "x").await),
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            code(body("multipart/form-data; boundary=XX", "--XX\r\nbroken").await),
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            code(body("application/json", "{").await),
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            code(body("application/json", "[1]").await),
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            code(body("application/json", r#"{"a": [1]}"#).await),
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            code(body("text/plain", "a=1").await),
            ErrorCode::UnsupportedMediaType
        );
    }
}
