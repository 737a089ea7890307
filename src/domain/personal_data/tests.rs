//! The detectors against a table of positive and negative cases.
use super::*;

/// The findings as (kind, the text found).
fn found(text: &str) -> Vec<(Kind, String)> {
    let chars: Vec<char> = text.chars().collect();
    find(text).into_iter().map(|f| (f.kind, chars[f.start..f.end].iter().collect())).collect()
}

fn one(text: &str, kind: Kind, what: &str) {
    assert_eq!(found(text), vec![(kind, what.to_string())], "in {text:?}");
}

fn none(text: &str) {
    assert_eq!(found(text), vec![], "in {text:?}");
}

#[test]
fn phone_numbers_in_every_way_they_are_written() {
    one("私の電話番号は090-1111-2222です", Kind::Phone, "090-1111-2222");
    one("電話 ０９０－１１１１－２２２２ まで", Kind::Phone, "０９０－１１１１－２２２２");
    one("call +81-90-1111-2222 please", Kind::Phone, "+81-90-1111-2222");
    one("call +81 3 1234 5678.", Kind::Phone, "+81 3 1234 5678");
    one("TEL 03(1234)5678", Kind::Phone, "03(1234)5678");
    one("携帯09011112222に", Kind::Phone, "09011112222");
    one("フリーダイヤル0120‐123‐456", Kind::Phone, "0120‐123‐456");
    one("電話：03 1234 5678", Kind::Phone, "03 1234 5678");
}

#[test]
fn dates_versions_and_section_numbers_are_not_phone_numbers() {
    none("2020-04-26までに提出");
    none("令和2年4月26日");
    none("第3.2.1項");
    none("ISO/IEC 27017:2015");
    none("version 1.2.3");
    none("3,633件");
    none("1234567890"); // ten digits, not from a 0
}

#[test]
fn email_addresses() {
    one("連絡先はtaro.yamada@example.co.jpです", Kind::Email, "taro.yamada@example.co.jp");
    one("mail: a+b@example.com.", Kind::Email, "a+b@example.com");
    none("@mention は個人情報ではない");
    none("user@localhost");
}

#[test]
fn postal_codes_with_and_without_the_mark() {
    one("〒100-8926 東京", Kind::PostalCode, "〒100-8926");
    one("郵便番号 １００－８９２６", Kind::PostalCode, "１００－８９２６");
    none("2020-0426");
}

#[test]
fn street_addresses_after_a_place_name() {
    one("住所は東京都千代田区霞が関2-1-2です", Kind::Address, "東京都千代田区霞が関2-1-2");
    one("大阪市北区梅田1丁目2番3号に住む", Kind::Address, "大阪市北区梅田1丁目2番3号");
    one("横浜市中区本町5番地", Kind::Address, "横浜市中区本町5番地");
    none("東京都の制度について");
    none("市区町村の対応");
}

#[test]
fn individual_numbers_need_a_valid_check_digit() {
    // The check digit computed by the published rule, independently of `my_number_check`.
    let valid = {
        let d = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1];
        let sum: u32 = (1..=11).map(|n| d[11 - n] * if n <= 6 { n as u32 + 1 } else { n as u32 - 5 }).sum();
        let r = sum % 11;
        format!("12345678901{}", if r <= 1 { 0 } else { 11 - r })
    };
    one(&format!("マイナンバーは{valid}です"), Kind::IndividualNumber, &valid);
    let spaced = format!("{} {} {}", &valid[..4], &valid[4..8], &valid[8..]);
    one(&format!("番号 {spaced}"), Kind::IndividualNumber, &spaced);
    let wrong_check = format!("{}{}", &valid[..11], (valid[11..].parse::<u32>().unwrap() + 1) % 10);
    none(&format!("番号{wrong_check}"));
}

#[test]
fn payment_card_numbers_pass_luhn() {
    one("カード4111 1111 1111 1111で", Kind::PaymentCard, "4111 1111 1111 1111");
    one("card 5500-0000-0000-0004", Kind::PaymentCard, "5500-0000-0000-0004");
    none("card 4111 1111 1111 1112");
}

#[test]
fn names_before_an_honorific() {
    one("担当の山田太郎様にお伝えください", Kind::Name, "山田太郎");
    one("田中さんが言うには", Kind::Name, "田中");
    one("鈴木一郎氏の発言", Kind::Name, "鈴木一郎");
    one("スミスさんへ", Kind::Name, "スミス");
    none("関係者様へ");
    none("皆様のご意見");
    none("お客様の立場から");
}

#[test]
fn several_kinds_in_one_text_are_found_in_order() {
    let text = "山田太郎様（〒100-8926 東京都千代田区霞が関2-1-2、電話03-5253-5111、taro@example.jp）";
    let kinds: Vec<Kind> = find(text).iter().map(|f| f.kind).collect();
    assert_eq!(kinds, vec![Kind::Name, Kind::PostalCode, Kind::Address, Kind::Phone, Kind::Email]);
}
