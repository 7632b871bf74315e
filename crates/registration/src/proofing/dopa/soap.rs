//! The `CheckCardByLaser` envelope (DOMAIN.md §3): building the SOAP 1.2
//! request and reading the `CardStatusOut` answer. The answer is read
//! leniently, as captured responses show: element names matched without
//! namespace and case, values trimmed, booleans case-insensitive.

use quick_xml::Reader;
use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;

use crate::proofing::ProofingRequest;

pub(crate) const SOAP_ACTION: &str = "http://tempuri.org/CheckCardByLaser";

/// The request body. Values are XML-escaped; names go without prefix or
/// middle name, the birth date as B.E. `YYYYMMDD`, the laser code compact.
pub(crate) fn request_envelope(r: &ProofingRequest) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?>"#,
            r#"<soap12:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" "#,
            r#"xmlns:xsd="http://www.w3.org/2001/XMLSchema" "#,
            r#"xmlns:soap12="http://www.w3.org/2003/05/soap-envelope">"#,
            "<soap12:Body>",
            r#"<CheckCardByLaser xmlns="http://tempuri.org/">"#,
            "<PID>{pid}</PID>",
            "<FirstName>{first}</FirstName>",
            "<LastName>{last}</LastName>",
            "<BirthDay>{birth}</BirthDay>",
            "<Laser>{laser}</Laser>",
            "</CheckCardByLaser>",
            "</soap12:Body>",
            "</soap12:Envelope>"
        ),
        pid = escape(r.citizen_id.expose_digits()),
        first = escape(r.first_name.as_str()),
        last = escape(r.last_name.as_str()),
        birth = r.birth_date.dopa_be(),
        laser = escape(r.laser_code.expose_compact()),
    )
}

/// What the service said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SoapAnswer {
    Status {
        is_error: bool,
        code: i64,
        /// Thai status text; for support logs only.
        desc: String,
    },
    Fault,
    /// Not XML, or no `Code` in a `CheckCardByLaserResult`.
    Malformed,
}

/// Reads a response body.
pub(crate) fn parse_response(body: &str) -> SoapAnswer {
    let mut reader = Reader::from_str(body);
    let mut path: Vec<String> = Vec::new();
    let mut field: Option<&'static str> = None;
    let mut text = String::new();
    let (mut is_error, mut code, mut desc) = (None::<String>, None::<String>, None::<String>);
    let mut in_result = false;
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(_) => return SoapAnswer::Malformed,
        };
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if name == "fault" {
                    return SoapAnswer::Fault;
                }
                if name == "checkcardbylaserresult" {
                    in_result = true;
                }
                if in_result && path.last().is_some_and(|p| p == "checkcardbylaserresult") {
                    field = match name.as_str() {
                        "iserror" => Some("iserror"),
                        "code" => Some("code"),
                        "desc" => Some("desc"),
                        _ => None,
                    };
                    text.clear();
                }
                path.push(name);
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if name == "fault" {
                    return SoapAnswer::Fault;
                }
            }
            Event::Text(t) if field.is_some() => match t.decode() {
                Ok(s) => text.push_str(&s),
                Err(_) => return SoapAnswer::Malformed,
            },
            Event::CData(t) if field.is_some() => match t.decode() {
                Ok(s) => text.push_str(&s),
                Err(_) => return SoapAnswer::Malformed,
            },
            Event::GeneralRef(r) if field.is_some() => {
                let Ok(name) = r.decode() else {
                    return SoapAnswer::Malformed;
                };
                match r.resolve_char_ref() {
                    Ok(Some(c)) => text.push(c),
                    Ok(None) => match resolve_predefined_entity(&name) {
                        Some(s) => text.push_str(s),
                        None => return SoapAnswer::Malformed,
                    },
                    Err(_) => return SoapAnswer::Malformed,
                }
            }
            Event::End(_) => {
                let closed = path.pop();
                if let Some(f) = field.take() {
                    let value = text.trim().to_owned();
                    match f {
                        "iserror" => is_error = Some(value),
                        "code" => code = Some(value),
                        _ => desc = Some(value),
                    }
                }
                if closed.as_deref() == Some("checkcardbylaserresult") {
                    in_result = false;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let Some(code) = code.and_then(|c| c.parse::<i64>().ok()) else {
        return SoapAnswer::Malformed;
    };
    let is_error = match is_error.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "") => false,
        Some("true" | "1") => true,
        Some(_) => return SoapAnswer::Malformed,
    };
    SoapAnswer::Status {
        is_error,
        code,
        desc: desc.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{BirthDate, CitizenId, LaserCode, ThaiName};

    fn response(inner: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><CheckCardByLaserResponse xmlns="http://tempuri.org/"><CheckCardByLaserResult>{inner}</CheckCardByLaserResult></CheckCardByLaserResponse></soap:Body></soap:Envelope>"#
        )
    }

    #[test]
    fn the_request_carries_the_five_fields_in_dopa_form() {
        let r = ProofingRequest {
            citizen_id: CitizenId::parse("1-2345-67890-12-1").unwrap(),
            first_name: ThaiName::parse("สมชาย").unwrap(),
            last_name: ThaiName::parse("ใจดี").unwrap(),
            birth_date: BirthDate::parse("1995-12-00", time::Date::MAX).unwrap(),
            laser_code: LaserCode::parse("jt1-2321456-32").unwrap(),
        };
        let xml = request_envelope(&r);
        assert!(xml.contains("<PID>1234567890121</PID>"));
        assert!(xml.contains("<FirstName>สมชาย</FirstName>"));
        assert!(xml.contains("<LastName>ใจดี</LastName>"));
        assert!(xml.contains("<BirthDay>25381200</BirthDay>"));
        assert!(xml.contains("<Laser>JT1232145632</Laser>"));
        assert!(xml.contains(r#"<CheckCardByLaser xmlns="http://tempuri.org/">"#));
        assert!(xml.contains("http://www.w3.org/2003/05/soap-envelope"));
    }

    #[test]
    fn a_valid_answer_is_read() {
        let body =
            response("<IsError>false</IsError><ErrorMessage/><Code>0</Code><Desc>สถานะปกติ</Desc>");
        assert_eq!(
            parse_response(&body),
            SoapAnswer::Status {
                is_error: false,
                code: 0,
                desc: "สถานะปกติ".into()
            }
        );
    }

    #[test]
    fn padded_values_and_odd_case_are_read() {
        let body = response(
            "\n  <IsError>  FALSE \n</IsError>\n  <ErrorMessage>  </ErrorMessage>\n  <Code>\n   4\n  </Code>\n  <Desc>  สถานะไม่ปกติ =&gt; ข้อมูลไม่ตรง  </Desc>\n",
        );
        assert_eq!(
            parse_response(&body),
            SoapAnswer::Status {
                is_error: false,
                code: 4,
                desc: "สถานะไม่ปกติ => ข้อมูลไม่ตรง".into()
            }
        );
        let lower = response("<iserror>True</iserror><code>0</code>");
        assert!(matches!(
            parse_response(&lower),
            SoapAnswer::Status {
                is_error: true,
                code: 0,
                ..
            }
        ));
    }

    #[test]
    fn faults_and_garbage_are_not_answers() {
        let fault = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">Server was unable to process request.</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>"#;
        assert_eq!(parse_response(fault), SoapAnswer::Fault);
        assert_eq!(
            parse_response("<html>Service Unavailable</html>"),
            SoapAnswer::Malformed
        );
        assert_eq!(
            parse_response(&response("<Code>zero</Code>")),
            SoapAnswer::Malformed
        );
        assert_eq!(
            parse_response(&response("<IsError>maybe</IsError><Code>0</Code>")),
            SoapAnswer::Malformed
        );
        assert_eq!(parse_response("not xml <<<"), SoapAnswer::Malformed);
        // A Code outside the result element does not count.
        assert_eq!(
            parse_response("<x><Code>0</Code></x>"),
            SoapAnswer::Malformed
        );
    }
}
