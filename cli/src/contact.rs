//! `osm contact need-verify | send-code | verify | list`: verifying a phone number or an
//! e-mail address that is not registered with the account, so that a ticket may notify
//! it. The contact is `--email ADDRESS` or `--phone NUMBER` with `--area-code CODE`.
//!
//! On a terminal, `osm contact verify --email X` sends the code and asks for it; in
//! scripts every step is a flag: `send-code`, then `verify --code CODE`.

use std::io::{BufRead, IsTerminal, Read, Write};

use clap::{Arg, ArgGroup, ArgMatches, Command};
use huaweicloud_osm::exec::Input;
use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::{Contact, VerifiedContact};
use serde_json::{Value, json};

use crate::args;
use crate::output::{self, Failure, from_error};
use crate::session::{self, Session};

/// The most bytes read for a code typed at the prompt.
const MAX_CODE_LINE: u64 = 64;

fn contact_args(cmd: Command, required: bool) -> Command {
    cmd.arg(
        Arg::new("email")
            .long("email")
            .value_name("ADDRESS")
            .help("An e-mail address")
            .help_heading("Contact"),
    )
    .arg(
        Arg::new("phone")
            .long("phone")
            .value_name("NUMBER")
            .help("A mobile phone number, digits only (the calling code goes in --area-code)")
            .help_heading("Contact"),
    )
    .group(
        ArgGroup::new("contact")
            .args(["email", "phone"])
            .required(required)
            .multiple(false),
    )
}

fn area_code_arg() -> Arg {
    Arg::new("area_code")
        .long("area-code")
        .value_name("CODE")
        .help("The phone number's country or region calling code, such as 86")
        .help_heading("Contact")
}

/// `osm contact`.
pub fn command() -> Command {
    let need = contact_args(
        Command::new("need-verify")
            .about("Tell whether a contact must be verified before a ticket may notify it"),
        true,
    )
    .arg(area_code_arg());
    let send = contact_args(
        Command::new("send-code").about("Send a verification code to the contact (SMS or e-mail)"),
        true,
    )
    .arg(area_code_arg());
    let verify = contact_args(
        Command::new("verify")
            .about("Verify a contact with its code and print its verified id")
            .long_about(
                "Verify a contact with the code it received, and print its verified id, which \
                 osm case create takes in --email-verifiedid or --phone-verifiedid. With --code, \
                 only the check is made (send the code first with osm contact send-code). \
                 Without --code, on a terminal, the code is sent and then asked for.",
            )
            .arg(
                Arg::new("code")
                    .long("code")
                    .value_name("CODE")
                    .help("The six-digit code the contact received"),
            ),
        true,
    )
    .arg(area_code_arg());
    // list: the query parameters of list_verified_contacts, plus --email / --phone.
    let list = args::operation_args(
        Command::new("list").about("List the verified contacts and their verified ids"),
        rules::LIST_VERIFIED_CONTACTS,
        false,
    )
    .arg(
        Arg::new("email")
            .long("email")
            .value_name("ADDRESS")
            .conflicts_with_all(["phone", "contact_value", "contact_way"])
            .help("Only this e-mail address"),
    )
    .arg(
        Arg::new("phone")
            .long("phone")
            .value_name("NUMBER")
            .conflicts_with_all(["contact_value", "contact_way"])
            .help("Only this phone number"),
    );
    Command::new("contact")
        .about("Verify a phone number or e-mail address that is not registered, for notifications")
        .after_help(format!(
            "Examples:\n  On a terminal (sends the code, then asks for it):\n    \
             osm contact verify --email oncall@example.com\n  In a script:\n    \
             osm contact send-code --email oncall@example.com\n    \
             osm contact verify --email oncall@example.com --code 123456\n  Then:\n    \
             osm case create … --remind-mail oncall@example.com --email-verifiedid <verified id>\n\n{}",
            args::EXIT_CODES_ACTION
        ))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(need)
        .subcommand(send)
        .subcommand(verify)
        .subcommand(list)
}

fn contact_of(m: &ArgMatches) -> Option<Contact> {
    if let Some(email) = m.get_one::<String>("email") {
        return Some(Contact::email(email.clone()));
    }
    let phone = m.get_one::<String>("phone")?;
    let area = m
        .get_one::<String>("area_code")
        .cloned()
        .unwrap_or_default();
    Some(Contact::phone(area.trim_start_matches('+'), phone.clone()))
}

/// `--code`, on the subcommands that have it.
fn code_of(m: &ArgMatches) -> Option<&String> {
    m.try_get_one::<String>("code").ok().flatten()
}

/// The flag of a field of the verification operations.
fn flag(field: &str) -> Option<String> {
    Some(
        match field {
            "contact_value" => "--email/--phone",
            "area_code" => "--area-code",
            "verify_code" => "--code",
            _ => return None,
        }
        .into(),
    )
}

/// Runs `osm contact …`.
pub async fn run(global: &ArgMatches, m: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    let (sub, sm) = m
        .subcommand()
        .ok_or_else(|| Failure::usage("which contact command? see osm contact --help"))?;
    if sub == "list" {
        return list(global, sm, json_output).await;
    }
    let contact = contact_of(sm).ok_or_else(|| Failure::usage("give --email or --phone"))?;
    if matches!(contact, Contact::Email { .. }) && sm.get_one::<String>("area_code").is_some() {
        return Err(Failure::usage("--area-code goes with --phone, not --email"));
    }
    // Check what can be checked without sending.
    precheck(sub, &contact, sm)?;
    let credentials = session::credentials(global).await?;
    session::logging(global, credentials.as_ref());
    session::timeout(global)?;
    if global.get_flag("dry_run") {
        output::out(&format!(
            "osm contact {sub} {contact} (dry run: nothing was sent)"
        ));
        return Ok(());
    }
    if sub == "verify" && code_of(sm).is_none() && !std::io::stdin().is_terminal() {
        return Err(Failure::usage(
            "no --code, and standard input is not a terminal to ask for it: send the code with \
             osm contact send-code, then give it with osm contact verify --code CODE",
        ));
    }
    let session = Session::start(global, credentials).await?;
    let result = match sub {
        "need-verify" => need_verify(&session, &contact, json_output).await,
        "send-code" => send_code(&session, &contact, json_output).await,
        "verify" => verify(&session, &contact, sm, json_output).await,
        _ => Err(Failure::usage(format!("unknown contact command {sub}"))),
    };
    session.finish().await;
    result
}

/// The rules of the operations the command will call, checked before anything starts.
fn precheck(sub: &str, contact: &Contact, m: &ArgMatches) -> Result<(), Failure> {
    let mut input = Input::new(match sub {
        "need-verify" => rules::CHECK_NEED_VERIFY,
        "verify" if code_of(m).is_some() => rules::CHECK_VERIFY_CODE,
        _ => rules::SEND_VERIFY_CODE,
    });
    let op = input.operation();
    let set = |input: &mut Input, name: &str, v: Value| {
        input
            .set(name, v)
            .map_err(|e| Failure::usage(e.to_string()))
    };
    set(&mut input, "contact_value", json!(contact.value()))?;
    set(&mut input, "contact_way", json!(contact.way()))?;
    let area = contact.area_code().unwrap_or_default();
    let has_area =
        op.param(Location::Query, "area_code").is_some() || op.body_field("area_code").is_some();
    if has_area && (!area.is_empty() || op.body_field("area_code").is_some_and(|r| r.required)) {
        set(&mut input, "area_code", json!(area))?;
    }
    if let Some(code) = code_of(m).filter(|_| op.body_field("verify_code").is_some()) {
        set(&mut input, "verify_code", json!(code))?;
    }
    input.check().map_err(|e| from_error(e.into(), flag))
}

async fn need_verify(
    session: &Session,
    contact: &Contact,
    json_output: bool,
) -> Result<(), Failure> {
    let mut request = session
        .client
        .check_need_verify()
        .contact_way(contact.way())
        .contact_value(contact.value());
    if let Some(a) = contact.area_code().filter(|a| !a.is_empty()) {
        request = request.area_code(a);
    }
    let answer = request.send().await.map_err(|e| from_error(e, flag))?;
    if json_output {
        output::out(String::from_utf8_lossy(answer.raw_json()).trim());
    } else {
        let shown = output::clean(&contact.to_string());
        match answer.need_verify_code {
            Some(0) => output::out(&format!(
                "{shown} needs no verification (registered or verified already)"
            )),
            _ => output::out(&format!(
                "{shown} must be verified before a ticket may notify it: osm contact verify {}",
                contact_flags(contact)
            )),
        }
    }
    Ok(())
}

fn contact_flags(contact: &Contact) -> String {
    match contact {
        Contact::Phone { area_code, number } if !area_code.is_empty() => {
            format!(
                "--phone {} --area-code {}",
                output::clean(number),
                output::clean(area_code)
            )
        }
        Contact::Email { address } => format!("--email {}", output::clean(address)),
        other => format!("--phone {}", output::clean(other.value())),
    }
}

async fn send_code(session: &Session, contact: &Contact, json_output: bool) -> Result<(), Failure> {
    session
        .client
        .send_verification_code(contact)
        .await
        .map_err(|e| from_error(e, flag))?;
    if json_output {
        output::out(&json!({"sent": true, "contact": contact}).to_string());
    } else {
        output::out(&format!(
            "A code was sent to {}; check it with: osm contact verify {} --code CODE",
            output::clean(&contact.to_string()),
            contact_flags(contact)
        ));
    }
    if session.is_emulated() {
        // The embedded emulator has stopped by the time this is read; it keeps its codes.
        eprintln!("osm: the embedded emulator keeps the code: read it with osm emulator codes");
    }
    Ok(())
}

/// Reads one line from the terminal, at most [`MAX_CODE_LINE`] bytes.
fn prompt(contact: &Contact) -> Result<String, Failure> {
    eprint!(
        "osm: enter the code sent to {}: ",
        output::clean(&contact.to_string())
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_CODE_LINE)
        .read_line(&mut line)
        .map_err(|e| Failure::usage(format!("cannot read the code: {e}")))?;
    let code = line.trim().to_owned();
    if code.is_empty() {
        return Err(Failure::usage("no code was entered; nothing was checked"));
    }
    Ok(code)
}

async fn verify(
    session: &Session,
    contact: &Contact,
    m: &ArgMatches,
    json_output: bool,
) -> Result<(), Failure> {
    let code = match code_of(m) {
        Some(code) => code.clone(),
        None => {
            send_code_quietly(session, contact).await?;
            if let Some(url) = session.emulator_url() {
                eprintln!(
                    "osm: the embedded emulator's codes are at {url}/__emulator/verification-codes"
                );
            }
            prompt(contact)?
        }
    };
    let verified = session
        .client
        .verify_contact(contact, &code)
        .await
        .map_err(|e| from_error(e, flag))?;
    print_verified(&verified, json_output);
    Ok(())
}

async fn send_code_quietly(session: &Session, contact: &Contact) -> Result<(), Failure> {
    session
        .client
        .send_verification_code(contact)
        .await
        .map_err(|e| from_error(e, flag))?;
    eprintln!(
        "osm: a code was sent to {}",
        output::clean(&contact.to_string())
    );
    Ok(())
}

fn print_verified(v: &VerifiedContact, json_output: bool) {
    let c = &v.contact;
    if json_output {
        output::json(
            &json!({
                "contact_way": c.way(),
                "contact_value": c.value(),
                "area_code": c.area_code().unwrap_or_default(),
                "verified_id": v.verified_id,
            })
            .to_string(),
        );
        return;
    }
    let id = output::clean(&v.verified_id);
    output::out(&format!(
        "Verified {}: verified id {id}",
        output::clean(&c.to_string())
    ));
    let hint = match c {
        Contact::Email { address } => {
            format!(
                "--remind-mail {} --email-verifiedid {id}",
                output::clean(address)
            )
        }
        other => {
            let area = other
                .area_code()
                .filter(|a| !a.is_empty())
                .map(|a| format!(" --area-code {}", output::clean(a)))
                .unwrap_or_default();
            format!(
                "--remind-mobile {}{area} --phone-verifiedid {id}",
                output::clean(other.value())
            )
        }
    };
    output::out(&format!(
        "  notify it on a ticket: osm case create … {hint}"
    ));
}

async fn list(global: &ArgMatches, m: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    let op = rules::LIST_VERIFIED_CONTACTS;
    let flag = |field: &str| args::flag_of(op, field);
    let mut input = Input::new(op);
    args::fill_input(op, m, &mut input, false)?;
    for (name, way) in [("email", 1), ("phone", 0)] {
        if let Some(v) = m.get_one::<String>(name) {
            input
                .set("contact_way", json!(way))
                .and_then(|()| input.set("contact_value", json!(v)))
                .map_err(|e| Failure::usage(e.to_string()))?;
        }
    }
    let Some(session) = session::for_operation(global, op, &input).await? else {
        return Ok(());
    };
    let result = session.client.send_json(input).await;
    session.finish().await;
    let answer = result.map_err(|e| from_error(e, flag))?;
    output::answer(answer.raw_json(), answer.value(), json_output);
    Ok(())
}
