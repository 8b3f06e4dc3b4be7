"""Keyboard-wedge decoding from recorded evdev key events: layouts, modifiers, timing."""

from __future__ import annotations

import pytest
from evdev import InputEvent
from evdev import ecodes as e

from hw_drivers.scanner.keymaps import LAYOUTS, keys_for
from hw_drivers.scanner.wedge import KeyboardWedgeDecoder


def decode(events, **options):
    decoder = KeyboardWedgeDecoder(**options)
    return [r for r in (decoder.feed(ev) for ev in events) if r is not None]


def test_us_layout_digits_with_enter_suffix_make_one_scan(key_events, us_digits):
    [result] = decode(key_events(us_digits("4006381333931") + [e.KEY_ENTER]))
    assert result.text == "4006381333931"
    assert result.is_scan


def test_us_layout_shift_gives_capitals_and_symbols(key_events):
    keys = [(e.KEY_A, "shift"), e.KEY_B, e.KEY_MINUS, (e.KEY_1, "shift"), (e.KEY_SLASH, "shift"),
            e.KEY_KP7, e.KEY_ENTER]
    [result] = decode(key_events(keys))
    assert result.text == "Ab-!?7"


def test_right_shift_works_like_left_shift(key_events):
    keys = [e.KEY_X, e.KEY_Y, e.KEY_Z, e.KEY_Q, e.KEY_ENTER]
    [result] = decode(key_events([(k, "shift") if k != e.KEY_ENTER else k for k in keys],
                                 shift_with=e.KEY_RIGHTSHIFT))
    assert result.text == "XYZQ"


def test_french_azerty_scanner_types_digits_with_shift(key_events):
    # An AZERTY scanner sends "1" as Shift + the key that is "&" unshifted.
    keys = [(e.KEY_1, "shift"), (e.KEY_2, "shift"), (e.KEY_3, "shift"), (e.KEY_0, "shift"), e.KEY_ENTER]
    [result] = decode(key_events(keys), layout="fr")
    assert result.text == "1230"
    [unshifted] = decode(key_events([e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_Q, e.KEY_ENTER]), layout="fr")
    assert unshifted.text == '&é"a'


def test_same_keys_read_with_the_wrong_layout_give_other_text(key_events):
    keys = [(e.KEY_1, "shift"), (e.KEY_2, "shift"), (e.KEY_3, "shift"), (e.KEY_0, "shift"), e.KEY_ENTER]
    [result] = decode(key_events(keys), layout="us")
    assert result.text == "!@#)"


def test_german_layout_swaps_y_and_z_and_has_altgr(key_events):
    keys = [(e.KEY_Y, "shift"), e.KEY_Z, e.KEY_SLASH, (e.KEY_Q, "altgr"), (e.KEY_7, "shift"), e.KEY_ENTER]
    [result] = decode(key_events(keys), layout="de")
    assert result.text == "Zy-@/"


def test_german_dead_key_types_its_accent_only_before_space(key_events):
    keys = [e.KEY_A, e.KEY_GRAVE, e.KEY_SPACE, e.KEY_B, e.KEY_GRAVE, e.KEY_C, e.KEY_ENTER]
    [result] = decode(key_events(keys), layout="de")
    assert result.text == "a^bc"


def test_caps_lock_flips_letters_only(key_events):
    keys = [e.KEY_CAPSLOCK, e.KEY_A, (e.KEY_B, "shift"), e.KEY_1, e.KEY_MINUS, e.KEY_ENTER]
    [result] = decode(key_events(keys))
    assert result.text == "Ab1-"


def test_ctrl_bracket_is_the_gs1_group_separator(key_events, us_digits):
    keys = us_digits("0104") + [(e.KEY_RIGHTBRACE, "ctrl")] + us_digits("1012") + [e.KEY_ENTER]
    [result] = decode(key_events(keys))
    assert result.text == "0104\x1d1012"


def test_alt_keypad_code_types_that_character(key_events):
    t = 1000.0
    seq = [(e.KEY_LEFTALT, 1), (e.KEY_KP6, 1), (e.KEY_KP5, 1), (e.KEY_LEFTALT, 0)]
    events = [InputEvent(int(t), i * 1000, e.EV_KEY, code, value) for i, (code, value) in enumerate(seq)]
    events += key_events([e.KEY_B, e.KEY_C, e.KEY_D, e.KEY_ENTER], start=t + 0.005)
    [result] = decode(events)
    assert result.text == "Abcd"


def test_tab_suffix_ends_the_code_and_enter_does_not(key_events, us_digits):
    keys = us_digits("12345") + [e.KEY_ENTER] + us_digits("678") + [e.KEY_TAB]
    [result] = decode(key_events(keys), suffix="tab")
    assert result.text == "12345678"


def test_suffix_none_ends_a_code_after_a_pause(key_events, us_digits):
    decoder = KeyboardWedgeDecoder(suffix="none", max_key_gap_ms=50)
    first = key_events(us_digits("96385074"), start=1000.0)
    second = key_events(us_digits("12345670"), start=1001.0)
    results = [r for r in (decoder.feed(ev) for ev in first + second) if r is not None]
    assert [r.text for r in results] == ["96385074"]  # the pause before the second ended the first
    assert decoder.flush(1001.01) is None  # still inside the second burst
    last = decoder.flush(1001.2)
    assert last is not None and last.text == "12345670" and last.is_scan


def test_human_typing_is_not_a_scan(key_events, us_digits):
    [result] = decode(key_events(us_digits("4006381333931") + [e.KEY_ENTER], gap_ms=120))
    assert not result.is_scan
    assert result.text == "4006381333931"


def test_short_burst_is_not_a_scan(key_events, us_digits):
    [result] = decode(key_events(us_digits("12") + [e.KEY_ENTER]), min_length=4)
    assert not result.is_scan


def test_slow_enter_after_a_fast_burst_is_not_a_scan(key_events, us_digits):
    events = key_events(us_digits("4006381333931"))
    events += key_events([e.KEY_ENTER], start=events[-1].timestamp() + 0.5)
    [result] = decode(events)
    assert not result.is_scan


def test_scan_after_human_typing_still_comes_through_clean(key_events, us_digits):
    typed = key_events(us_digits("77"), start=1000.0, gap_ms=200)
    scanned = key_events(us_digits("4006381333931") + [e.KEY_ENTER], start=1001.0)
    [result] = decode(typed + scanned)
    assert result.is_scan and result.text == "4006381333931"


def test_scan_timing_is_taken_from_the_events(key_events, us_digits):
    [result] = decode(key_events(us_digits("12345") + [e.KEY_ENTER], start=2000.0, gap_ms=5))
    assert result.started == pytest.approx(2000.0)
    assert result.ended == pytest.approx(2000.020)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_round_trips_printable_ascii_it_can_type(layout, key_events):
    text = "Ab9-Zy0."
    keys = [(code, "shift") if shifted else code for code, shifted in keys_for(text, LAYOUTS[layout])]
    [result] = decode(key_events(keys + [e.KEY_ENTER]), layout=layout)
    assert result.text == text


def test_layout_tables_use_the_kernel_key_codes():
    # The Linux ABI: KEY_Q is 16 and KEY_102ND 86 on every keyboard.
    assert LAYOUTS["us"].plain[16] == "q" and LAYOUTS["de"].plain[86] == "<"
    assert LAYOUTS["fr"].plain[16] == "a" and LAYOUTS["fr"].shift[2] == "1"
