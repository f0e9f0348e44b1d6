//! Arbitrary bytes as one captured frame of every supported link type: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_pcap::LinkType;
use picket_remoteid::capture::{scan_ble_adv_pdu, scan_dot11};
use picket_remoteid::decode_frame;

fuzz_target!(|data: &[u8]| {
    for lt in [
        LinkType::RADIOTAP,
        LinkType::IEEE802_11,
        LinkType::NORDIC_BLE,
        LinkType::BLUETOOTH_LE_LL,
        LinkType::BLUETOOTH_LE_LL_WITH_PHDR,
    ] {
        let _ = decode_frame(lt, data);
    }
    let _ = scan_dot11(data);
    let _ = scan_ble_adv_pdu(data);
});
