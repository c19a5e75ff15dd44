//! Every key of the dashboard, on a small hand-made model.

use std::net::{IpAddr, Ipv4Addr};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::attribute::{Attribution, Attributor, Category, Party};
use crate::session::{ContactRecord, Phase, Session, Source};
use crate::tui::model::Screen;

fn rec(device: &str, name: &str, secs: u64, party: Party, org: Option<&str>) -> ContactRecord {
    let c = crate::contact::Contact {
        device: crate::observation::DeviceId::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
        client_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        client_ips: Default::default(),
        name: name.to_owned(),
        scope: crate::contact::Scope::Internet,
        via: Default::default(),
        first_seen: Timestamp::from_parts(1_000 + secs, 0),
        last_seen: Timestamp::from_parts(1_000 + secs, 0),
        flows: 1,
        bytes_up: 10,
        bytes_down: 20,
        server_ips: Default::default(),
        server_ports: Default::default(),
        cname_chain: Vec::new(),
        ech: None,
        quic_unreadable: Default::default(),
        dns_queries: 1,
        http_requests: 0,
        cookie_sent: false,
        cookies_set: Default::default(),
        resolved_private: false,
        blocked: None,
        blocked_answer: None,
        reachable: false,
        attribution: Attribution {
            org: org.map(str::to_owned),
            party,
            category: org.map(|_| Category::Analytics),
            ..Attribution::unknown()
        },
    };
    let mut r = ContactRecord::new(1, Phase::BeforeConsent, &c, Vec::new());
    r.device = device.to_owned();
    r
}

/// A writable, recording model with four contacts on two devices.
fn model() -> Model {
    let mut m = Model::new(Attributor::default());
    let mut s = Session::new(
        "test",
        Some("borger.test"),
        Source::Interface { name: "x".into() },
    );
    s.id = 1;
    s.started = Some(Timestamp::from_parts(1_000, 0));
    update(&mut m, Msg::Session(Box::new(s)));
    update(
        &mut m,
        Msg::Source(SourceInfo {
            describe: "test".into(),
            writable: true,
            recording: true,
            ended: false,
        }),
    );
    update(
        &mut m,
        Msg::Contacts(vec![
            rec("dev-a", "www.borger.test", 1, Party::First, Some("Borger")),
            rec(
                "dev-a",
                "tracker.example",
                2,
                Party::Third,
                Some("Tracker Inc"),
            ),
            rec(
                "dev-a",
                "push.apple.com",
                3,
                Party::OsBackground,
                Some("Apple"),
            ),
            rec("dev-b", "ads.example", 4, Party::Third, Some("Ads Inc")),
        ]),
    );
    m
}

fn press(m: &mut Model, code: KeyCode) -> Vec<Effect> {
    update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(m: &mut Model, text: &str) {
    for c in text.chars() {
        assert!(press(m, KeyCode::Char(c)).is_empty());
    }
}

fn names(m: &Model) -> Vec<String> {
    m.visible().iter().map(|r| r.record.name.clone()).collect()
}

#[test]
fn a_marks_consent_accepted() {
    let mut m = model();
    assert_eq!(
        press(&mut m, KeyCode::Char('a')),
        vec![Effect::StoreMark(MarkKind::ConsentAccepted, None)]
    );
}

#[test]
fn r_marks_consent_rejected() {
    let mut m = model();
    assert_eq!(
        press(&mut m, KeyCode::Char('r')),
        vec![Effect::StoreMark(MarkKind::ConsentRejected, None)]
    );
}

#[test]
fn p_prompts_for_a_page_mark() {
    let mut m = model();
    assert!(press(&mut m, KeyCode::Char('p')).is_empty());
    // Keys while the prompt is open are text, not commands.
    typed(&mut m, "opened loginq");
    press(&mut m, KeyCode::Backspace);
    assert_eq!(
        press(&mut m, KeyCode::Enter),
        vec![Effect::StoreMark(
            MarkKind::Page,
            Some("opened login".into())
        )]
    );
    assert!(m.ui.prompt.is_none());
}

#[test]
fn m_prompts_for_a_note_and_empty_text_adds_nothing() {
    let mut m = model();
    press(&mut m, KeyCode::Char('m'));
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    assert!(m.status.contains("no mark"));
    press(&mut m, KeyCode::Char('m'));
    typed(&mut m, "banner shown");
    assert_eq!(
        press(&mut m, KeyCode::Enter),
        vec![Effect::StoreMark(
            MarkKind::Note,
            Some("banner shown".into())
        )]
    );
}

#[test]
fn esc_cancels_a_prompt() {
    let mut m = model();
    press(&mut m, KeyCode::Char('p'));
    typed(&mut m, "x");
    assert!(press(&mut m, KeyCode::Esc).is_empty());
    assert!(m.ui.prompt.is_none());
}

#[test]
fn n_prompts_for_a_new_session_label() {
    let mut m = model();
    press(&mut m, KeyCode::Char('n'));
    assert!(
        press(&mut m, KeyCode::Enter).is_empty(),
        "a label is required"
    );
    press(&mut m, KeyCode::Char('n'));
    typed(&mut m, "iPhone reject");
    assert_eq!(
        press(&mut m, KeyCode::Enter),
        vec![Effect::NewSession("iPhone reject".into())]
    );
}

#[test]
fn e_ends_the_recording_session_only() {
    let mut m = model();
    assert_eq!(press(&mut m, KeyCode::Char('e')), vec![Effect::EndSession]);
    m.source.recording = false;
    assert!(press(&mut m, KeyCode::Char('e')).is_empty());
}

#[test]
fn slash_filters_while_typing_and_esc_clears() {
    let mut m = model();
    press(&mut m, KeyCode::Char('/'));
    typed(&mut m, "TRACK");
    assert_eq!(names(&m), vec!["tracker.example"]);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.ui.filter, "track");
    // The filter also matches organisations.
    press(&mut m, KeyCode::Char('/'));
    press(&mut m, KeyCode::Esc);
    assert_eq!(names(&m).len(), 4);
    press(&mut m, KeyCode::Char('/'));
    for _ in 0..5 {
        press(&mut m, KeyCode::Backspace);
    }
    typed(&mut m, "ads inc");
    assert_eq!(names(&m), vec!["ads.example"]);
}

#[test]
fn f_follows_each_device_then_all() {
    let mut m = model();
    press(&mut m, KeyCode::Char('f'));
    assert_eq!(m.ui.follow.as_deref(), Some("dev-a"));
    assert_eq!(names(&m).len(), 3);
    press(&mut m, KeyCode::Char('f'));
    assert_eq!(names(&m), vec!["ads.example"]);
    press(&mut m, KeyCode::Char('f'));
    assert_eq!(m.ui.follow, None);
}

#[test]
fn tab_cycles_views_and_question_mark_toggles_help() {
    let mut m = model();
    press(&mut m, KeyCode::Tab);
    assert_eq!(m.ui.screen, Screen::Timeline);
    press(&mut m, KeyCode::Tab);
    assert_eq!(m.ui.screen, Screen::Devices);
    press(&mut m, KeyCode::Char('?'));
    assert_eq!(m.ui.screen, Screen::Help);
    press(&mut m, KeyCode::Char('?'));
    assert_eq!(m.ui.screen, Screen::Devices);
    press(&mut m, KeyCode::Tab);
    assert_eq!(m.ui.screen, Screen::Contacts);
}

#[test]
fn one_hides_first_party_and_o_hides_os_background() {
    let mut m = model();
    press(&mut m, KeyCode::Char('1'));
    assert!(!names(&m).contains(&"www.borger.test".to_owned()));
    press(&mut m, KeyCode::Char('o'));
    assert_eq!(names(&m), vec!["ads.example", "tracker.example"]);
    press(&mut m, KeyCode::Char('1'));
    press(&mut m, KeyCode::Char('o'));
    assert_eq!(names(&m).len(), 4);
}

#[test]
fn g_groups_by_organisation() {
    let mut m = model();
    assert_eq!(names(&m).first().map(String::as_str), Some("ads.example"));
    press(&mut m, KeyCode::Char('g'));
    assert_eq!(
        names(&m),
        vec![
            "ads.example",
            "push.apple.com",
            "www.borger.test",
            "tracker.example"
        ]
    );
}

#[test]
fn arrows_and_jk_move_the_selection_which_stays_on_its_contact() {
    let mut m = model();
    press(&mut m, KeyCode::Down);
    press(&mut m, KeyCode::Char('j'));
    assert_eq!(
        m.selected_row().map(|r| r.record.name.as_str()),
        Some("tracker.example")
    );
    press(&mut m, KeyCode::Char('k'));
    assert_eq!(
        m.selected_row().map(|r| r.record.name.as_str()),
        Some("push.apple.com")
    );
    // A newer contact arrives on top: the selection stays on its contact.
    update(
        &mut m,
        Msg::Contacts(vec![rec("dev-a", "new.example", 9, Party::Third, None)]),
    );
    assert_eq!(
        m.selected_row().map(|r| r.record.name.as_str()),
        Some("push.apple.com")
    );
    press(&mut m, KeyCode::End);
    assert_eq!(
        m.selected_row().map(|r| r.record.name.as_str()),
        Some("www.borger.test")
    );
    press(&mut m, KeyCode::Home);
    assert_eq!(
        m.selected_row().map(|r| r.record.name.as_str()),
        Some("new.example")
    );
    press(&mut m, KeyCode::PageDown);
    assert_eq!(
        m.selected_row().map(|r| r.record.name.as_str()),
        Some("www.borger.test")
    );
    press(&mut m, KeyCode::PageUp);
    assert_eq!(
        m.selected_row().map(|r| r.record.name.as_str()),
        Some("new.example")
    );
    press(&mut m, KeyCode::Up);
    assert_eq!(
        m.selected_row().map(|r| r.record.name.as_str()),
        Some("new.example")
    );
}

#[test]
fn enter_toggles_detail_and_esc_closes_it() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    assert!(m.ui.detail);
    press(&mut m, KeyCode::Esc);
    assert!(!m.ui.detail);
}

#[test]
fn devices_screen_follows_and_labels() {
    let mut m = model();
    m.ui.screen = Screen::Devices;
    press(&mut m, KeyCode::Down);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.ui.follow.as_deref(), Some("dev-b"));
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.ui.follow, None);
    press(&mut m, KeyCode::Char('l'));
    typed(&mut m, "test iPhone");
    assert_eq!(
        press(&mut m, KeyCode::Enter),
        vec![Effect::LabelDevice {
            device: "dev-b".into(),
            label: "test iPhone".into()
        }]
    );
    press(&mut m, KeyCode::Up);
    press(&mut m, KeyCode::Up);
    assert_eq!(m.ui.device_cursor, 0);
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.ui.screen, Screen::Contacts);
}

#[test]
fn q_asks_while_recording_and_y_quits() {
    let mut m = model();
    assert!(press(&mut m, KeyCode::Char('q')).is_empty());
    assert!(m.ui.confirm_quit);
    // Any other key stays.
    assert!(press(&mut m, KeyCode::Char('n')).is_empty());
    assert!(!m.quit && !m.ui.confirm_quit);
    press(&mut m, KeyCode::Char('q'));
    assert_eq!(press(&mut m, KeyCode::Char('y')), vec![Effect::Quit]);
    assert!(m.quit);
}

#[test]
fn q_quits_at_once_when_nothing_records() {
    let mut m = model();
    m.source.recording = false;
    assert_eq!(press(&mut m, KeyCode::Char('q')), vec![Effect::Quit]);
}

#[test]
fn ctrl_c_quits_even_in_a_prompt() {
    let mut m = model();
    press(&mut m, KeyCode::Char('p'));
    let e = update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert_eq!(e, vec![Effect::Quit]);
}

#[test]
fn a_stored_session_is_read_only() {
    let mut m = model();
    m.source.writable = false;
    m.source.recording = false;
    for k in ['a', 'r', 'p', 'm', 'n'] {
        assert!(press(&mut m, KeyCode::Char(k)).is_empty(), "{k}");
        assert!(m.ui.prompt.is_none(), "{k}");
    }
    assert!(m.status.contains("read-only"));
}

#[test]
fn prompt_text_is_bounded() {
    let mut m = model();
    press(&mut m, KeyCode::Char('m'));
    typed(&mut m, &"x".repeat(MAX_PROMPT + 10));
    assert_eq!(
        m.ui.prompt.as_ref().map(|p| p.text.chars().count()),
        Some(MAX_PROMPT)
    );
}

#[test]
fn resize_and_progress_and_a_new_session_reset_contacts() {
    let mut m = model();
    update(&mut m, Msg::Resize(100, 30));
    assert_eq!(m.ui.size, (100, 30));
    let now = Timestamp::from_parts(1_005, 0);
    update(
        &mut m,
        Msg::Progress {
            now,
            packets: 7,
            drops: 1,
        },
    );
    assert_eq!((m.packets, m.drops, m.elapsed_ns()), (7, 1, 5_000_000_000));
    let mut s = m.session.clone().unwrap();
    s.id = 2;
    update(&mut m, Msg::Session(Box::new(s)));
    assert!(m.rows.is_empty() && m.timeline.is_empty());
}

#[test]
fn a_contact_update_without_evidence_keeps_the_evidence() {
    let mut m = model();
    let mut with = rec(
        "dev-a",
        "tracker.example",
        2,
        Party::Third,
        Some("Tracker Inc"),
    );
    with.evidence.push(crate::session::Evidence {
        ts: with.first_seen,
        kind: crate::session::EvidenceKind::DnsQuery,
        via: Some(crate::observation::Via::Dns),
        flow: None,
    });
    update(&mut m, Msg::Contacts(vec![with.clone()]));
    let mut later = with;
    later.evidence.clear();
    later.flows = 5;
    update(&mut m, Msg::Contacts(vec![later]));
    let row = &m.rows[&("dev-a".to_owned(), "tracker.example".to_owned())];
    assert_eq!((row.record.flows, row.record.evidence.len()), (5, 1));
}

#[test]
fn unreadable_quic_raises_the_hidden_warning() {
    let mut m = model();
    assert!(m.hidden().is_empty());
    let mut r = rec("dev-b", "graph.facebook.example", 9, Party::Third, None);
    r.attribution.hidden = Some(crate::attribute::Hidden::QuicUnreadable);
    update(&mut m, Msg::Contacts(vec![r]));
    assert_eq!(
        m.hidden().into_iter().collect::<Vec<_>>(),
        [("quic-unreadable", 1)]
    );
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 20)).unwrap();
    term.draw(|f| crate::tui::view::view(&m, f)).unwrap();
    let text: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        text.contains("traffic partly hidden (quic-unreadable 1)"),
        "{text}"
    );
}

#[test]
fn v_marks_the_visit() {
    let mut m = model();
    assert_eq!(
        press(&mut m, KeyCode::Char('v')),
        vec![Effect::StoreMark(MarkKind::Visit, None)]
    );
}

#[test]
fn b_hides_and_shows_what_was_seen_while_idle() {
    let mut m = model();
    let mut idle = rec("dev-b", "idle.example", 5, Party::Third, Some("Idle Inc"));
    idle.baseline.background = Some(crate::session::Background::SeenWhileIdle);
    update(&mut m, Msg::Contacts(vec![idle]));
    // Background is not counted as a third party the visit caused.
    assert_eq!(m.third_parties(), 2);
    assert!(names(&m).contains(&"idle.example".to_owned()));
    assert!(press(&mut m, KeyCode::Char('b')).is_empty());
    assert!(!names(&m).contains(&"idle.example".to_owned()));
    assert!(m.status.contains("hidden"), "{}", m.status);
    press(&mut m, KeyCode::Char('b'));
    assert!(names(&m).contains(&"idle.example".to_owned()));
}
