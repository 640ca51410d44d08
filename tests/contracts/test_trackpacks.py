"""Behaviour of TrackPacks: every external function's success and revert paths."""

from brownie import ZERO_ADDRESS, accounts, web3
from conftest import (
    BASE_URI,
    BATCH_ID,
    CATALOG,
    KEY_HASH,
    PACK_ID_OFFSET,
    PRICE,
    ROYALTY_BPS,
    SUPPLY,
    WEIGHTS,
    draw_songs,
    plain,
    request_id_of,
)
from eth_utils import keccak

ADMIN_ROLE = "0x" + "00" * 32
PACK = PACK_ID_OFFSET + BATCH_ID


def role(name: str) -> str:
    return "0x" + keccak(text=name).hex()


# ---------------------------------------------------------------- deployment / views


def test_deployment_state(tp, coordinator, sub_id, admin, minter, operator, royalty_receiver):
    assert tp.hasRole(ADMIN_ROLE, admin)
    assert tp.hasRole(role("MINTER_ROLE"), minter)
    assert tp.hasRole(role("OPERATOR_ROLE"), operator)
    assert tp.MINTER_ROLE() == role("MINTER_ROLE")
    assert tp.OPERATOR_ROLE() == role("OPERATOR_ROLE")
    assert tp.owner() == admin  # Chainlink ConfirmedOwner, only for setCoordinator
    assert tp.s_vrfCoordinator() == coordinator
    assert plain(tp.vrfConfig()) == plain((KEY_HASH, sub_id, 3, 250_000))
    assert tp.uri(1) == BASE_URI
    assert plain(tp.royaltyInfo(1, 10_000)) == plain((royalty_receiver, ROYALTY_BPS))


def test_supports_interface(tp):
    for iface in ("0x01ffc9a7", "0xd9b67a26", "0x0e89341c", "0x2a55205a", "0x7965db0b"):
        assert tp.supportsInterface(iface), iface
    assert not tp.supportsInterface("0xffffffff")


def test_constructor_rejects_zero_admin(coordinator, sub_id, admin, reverts):
    from brownie import TrackPacks

    with reverts("ZeroAddress()"):
        TrackPacks.deploy(
            coordinator, KEY_HASH, sub_id, ZERO_ADDRESS, BASE_URI, admin, 500, {"from": admin}
        )


def test_pack_token_id(tp, reverts):
    assert tp.packTokenId(0) == 2**128
    assert tp.packTokenId(BATCH_ID) == 2**128 + BATCH_ID
    assert tp.packTokenId(2**96 - 1) == 2**128 + 2**96 - 1
    with reverts("BatchIdOutOfRange(uint256)"):
        tp.packTokenId(2**96)


# ---------------------------------------------------------------- catalog


def test_register_song(tp, admin, stranger, reverts):
    tx = tp.registerSong(42, 2, {"from": admin})
    assert tx.events["SongRegistered"]["tokenId"] == 42
    assert tx.events["SongRegistered"]["tier"] == 2
    assert plain(tp.songInfo(42)) == plain((True, 2))
    assert plain(tp.songInfo(43)) == plain((False, 0))
    with reverts("SongAlreadyRegistered(uint256)"):
        tp.registerSong(42, 1, {"from": admin})
    with reverts("SongIdOutOfRange(uint256)"):
        tp.registerSong(2**128, 0, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.registerSong(44, 0, {"from": stranger})


def test_register_songs_batch(tp, admin, stranger, reverts):
    tx = tp.registerSongs([10, 11, 12], [0, 1, 2], {"from": admin})
    assert len(tx.events["SongRegistered"]) == 3
    assert plain(tp.songInfo(12)) == plain((True, 2))
    with reverts("LengthMismatch()"):
        tp.registerSongs([13, 14], [0], {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.registerSongs([13], [0], {"from": stranger})


def test_create_batch(tp, batch, admin):
    assert plain(tp.batchInfo(BATCH_ID)) == plain((PRICE, SUPPLY, 0, True, sum(WEIGHTS.values())))
    assert plain(tp.batchPool(BATCH_ID)) == plain((list(WEIGHTS), list(WEIGHTS.values())))
    assert tp.remaining(BATCH_ID) == SUPPLY
    tx = tp.createBatch(8, 5, 3, False, [1, 6], [9, 1], {"from": admin})
    ev = tx.events["BatchCreated"]
    assert (ev["batchId"], ev["packTokenId"], ev["price"], ev["supply"], ev["saleOpen"]) == (
        8,
        2**128 + 8,
        5,
        3,
        False,
    )
    assert list(ev["songIds"]) == [1, 6]
    assert list(ev["weights"]) == [9, 1]


def test_create_batch_reverts(tp, batch, admin, stranger, reverts):
    songs, weights = [1, 2], [1, 1]
    with reverts("AccessControlUnauthorizedAccount"):
        tp.createBatch(9, PRICE, 10, True, songs, weights, {"from": stranger})
    with reverts("BatchAlreadyExists(uint256)"):
        tp.createBatch(BATCH_ID, PRICE, 10, True, songs, weights, {"from": admin})
    with reverts("BatchIdOutOfRange(uint256)"):
        tp.createBatch(2**96, PRICE, 10, True, songs, weights, {"from": admin})
    with reverts("InvalidPrice(uint256)"):
        tp.createBatch(9, 0, 10, True, songs, weights, {"from": admin})
    with reverts("InvalidSupply(uint256)"):
        tp.createBatch(9, PRICE, 0, True, songs, weights, {"from": admin})
    with reverts("InvalidPoolSize(uint256)"):
        tp.createBatch(9, PRICE, 10, True, [], [], {"from": admin})
    with reverts("LengthMismatch()"):
        tp.createBatch(9, PRICE, 10, True, songs, [1], {"from": admin})
    with reverts("SongNotRegistered(uint256)"):
        tp.createBatch(9, PRICE, 10, True, [1, 999], weights, {"from": admin})
    with reverts("ZeroWeight(uint256)"):
        tp.createBatch(9, PRICE, 10, True, songs, [1, 0], {"from": admin})
    with reverts("DuplicateSong(uint256)"):
        tp.createBatch(9, PRICE, 10, True, [1, 1], weights, {"from": admin})
    with reverts("TotalWeightTooLarge(uint256)"):
        tp.createBatch(9, PRICE, 10, True, songs, [2**31, 2**31], {"from": admin})


def test_pool_size_cap(tp, admin, reverts):
    ids = list(range(100, 165))  # 65 songs
    tp.registerSongs(ids, [0] * len(ids), {"from": admin})
    with reverts("InvalidPoolSize(uint256)"):
        tp.createBatch(9, PRICE, 10, True, ids, [1] * 65, {"from": admin})
    tp.createBatch(9, PRICE, 10, True, ids[:64], list(range(1, 65)), {"from": admin})
    assert plain(tp.batchPool(9)) == plain((ids[:64], list(range(1, 65))))


def test_sale_flag_and_price(tp, batch, admin, stranger, buyer, new_ref, reverts):
    tx = tp.setSaleOpen(BATCH_ID, False, {"from": admin})
    assert tx.events["BatchSaleSet"] == {"batchId": BATCH_ID, "saleOpen": False}
    with reverts("SaleClosed(uint256)"):
        tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    tp.setSaleOpen(BATCH_ID, True, {"from": admin})
    tx = tp.setBatchPrice(BATCH_ID, 3 * PRICE, {"from": admin})
    assert tx.events["BatchPriceSet"] == {"batchId": BATCH_ID, "price": 3 * PRICE}
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": 3 * PRICE})
    with reverts("InvalidPrice(uint256)"):
        tp.setBatchPrice(BATCH_ID, 0, {"from": admin})
    with reverts("UnknownBatch(uint256)"):
        tp.setSaleOpen(99, True, {"from": admin})
    with reverts("UnknownBatch(uint256)"):
        tp.setBatchPrice(99, 1, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setSaleOpen(BATCH_ID, False, {"from": stranger})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setBatchPrice(BATCH_ID, 1, {"from": stranger})


def test_views_of_unknown_batch(tp, reverts):
    with reverts("UnknownBatch(uint256)"):
        tp.remaining(99)
    with reverts("UnknownBatch(uint256)"):
        tp.batchInfo(99)
    with reverts("UnknownBatch(uint256)"):
        tp.batchPool(99)


# ---------------------------------------------------------------- buying


def test_buy_packs(tp, batch, buyer, new_ref):
    ref = new_ref()
    tx = tp.buyPacks(BATCH_ID, 3, ref, {"from": buyer, "value": 3 * PRICE})
    ev = tx.events["PacksPurchased"]
    assert ev["buyer"] == buyer
    assert ev["batchId"] == BATCH_ID
    assert ev["orderRef"] == ref
    assert ev["quantity"] == 3
    assert ev["paid"] == 3 * PRICE
    assert tx.events["TransferSingle"]["id"] == PACK
    assert tp.balanceOf(buyer, PACK) == 3
    assert tp.remaining(BATCH_ID) == SUPPLY - 3
    assert tp.orderRefUsed(ref)
    assert not tp.isCustodial(buyer)
    assert tp.balance() == 3 * PRICE


def test_buy_wrong_payment(tp, batch, buyer, new_ref, reverts):
    for value in (0, PRICE - 1, PRICE + 1, 2 * PRICE):
        with reverts("WrongPayment(uint256,uint256)"):
            tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": value})
    assert tp.remaining(BATCH_ID) == SUPPLY


def test_buy_reverts(tp, batch, buyer, new_ref, reverts):
    with reverts("UnknownBatch(uint256)"):
        tp.buyPacks(99, 1, new_ref(), {"from": buyer, "value": PRICE})
    with reverts("ZeroQuantity()"):
        tp.buyPacks(BATCH_ID, 0, new_ref(), {"from": buyer, "value": 0})
    with reverts("ZeroOrderRef()"):
        tp.buyPacks(BATCH_ID, 1, "0x" + "00" * 32, {"from": buyer, "value": PRICE})
    with reverts("InsufficientSupply(uint256,uint256,uint256)"):
        tp.buyPacks(BATCH_ID, SUPPLY + 1, new_ref(), {"from": buyer, "value": (SUPPLY + 1) * PRICE})
    ref = new_ref()
    tp.buyPacks(BATCH_ID, 1, ref, {"from": buyer, "value": PRICE})
    with reverts("OrderRefAlreadyUsed(bytes32)"):
        tp.buyPacks(BATCH_ID, 1, ref, {"from": buyer, "value": PRICE})
    assert tp.balanceOf(buyer, PACK) == 1


# ---------------------------------------------------------------- minting (card sales)


def test_mint_packs(tp, batch, minter, custodial, new_ref):
    ref = new_ref()
    tx = tp.mintPacks(custodial, BATCH_ID, 2, ref, {"from": minter})
    ev = tx.events["PacksMinted"]
    assert (ev["to"], ev["batchId"], ev["orderRef"], ev["quantity"]) == (
        custodial,
        BATCH_ID,
        ref,
        2,
    )
    assert tx.events["CustodialSet"] == {"holder": custodial, "custodial": True}
    assert tp.isCustodial(custodial)
    assert tp.balanceOf(custodial, PACK) == 2
    assert tp.remaining(BATCH_ID) == SUPPLY - 2
    assert tp.orderRefUsed(ref)
    # a second mint to the same wallet does not re-emit CustodialSet
    tx = tp.mintPacks(custodial, BATCH_ID, 1, new_ref(), {"from": minter})
    assert "CustodialSet" not in tx.events


def test_mint_packs_ignores_sale_flag(tp, batch, admin, minter, custodial, new_ref):
    tp.setSaleOpen(BATCH_ID, False, {"from": admin})
    tp.mintPacks(custodial, BATCH_ID, 1, new_ref(), {"from": minter})
    assert tp.balanceOf(custodial, PACK) == 1


def test_mint_reverts(tp, batch, minter, custodial, stranger, admin, new_ref, reverts):
    with reverts("AccessControlUnauthorizedAccount"):
        tp.mintPacks(custodial, BATCH_ID, 1, new_ref(), {"from": stranger})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.mintPacks(custodial, BATCH_ID, 1, new_ref(), {"from": admin})  # admin is not a minter
    with reverts("ZeroAddress()"):
        tp.mintPacks(ZERO_ADDRESS, BATCH_ID, 1, new_ref(), {"from": minter})
    with reverts("UnknownBatch(uint256)"):
        tp.mintPacks(custodial, 99, 1, new_ref(), {"from": minter})
    with reverts("ZeroQuantity()"):
        tp.mintPacks(custodial, BATCH_ID, 0, new_ref(), {"from": minter})
    with reverts("ZeroOrderRef()"):
        tp.mintPacks(custodial, BATCH_ID, 1, "0x" + "00" * 32, {"from": minter})
    with reverts("InsufficientSupply(uint256,uint256,uint256)"):
        tp.mintPacks(custodial, BATCH_ID, SUPPLY + 1, new_ref(), {"from": minter})
    assert not tp.isCustodial(custodial)


def test_order_ref_idempotent_across_paths(tp, batch, minter, buyer, custodial, new_ref, reverts):
    paid_ref, card_ref = new_ref(), new_ref()
    tp.buyPacks(BATCH_ID, 1, paid_ref, {"from": buyer, "value": PRICE})
    tp.mintPacks(custodial, BATCH_ID, 1, card_ref, {"from": minter})
    with reverts("OrderRefAlreadyUsed(bytes32)"):
        tp.mintPacks(custodial, BATCH_ID, 1, paid_ref, {"from": minter})
    with reverts("OrderRefAlreadyUsed(bytes32)"):
        tp.mintPacks(custodial, BATCH_ID, 1, card_ref, {"from": minter})
    with reverts("OrderRefAlreadyUsed(bytes32)"):
        tp.buyPacks(BATCH_ID, 1, card_ref, {"from": buyer, "value": PRICE})
    assert tp.balanceOf(buyer, PACK) == 1
    assert tp.balanceOf(custodial, PACK) == 1
    assert tp.remaining(BATCH_ID) == SUPPLY - 2


def test_supply_cap_under_mixed_paths(tp, batch, minter, custodial, new_ref, reverts):
    buyers = accounts[3:10]
    sold = 0
    i = 0
    while sold < SUPPLY:
        qty = min(1 + i % 4, SUPPLY - sold)
        if i % 3 == 0:
            tp.mintPacks(custodial, BATCH_ID, qty, new_ref(), {"from": minter})
        else:
            buyer = buyers[i % len(buyers)]
            tp.buyPacks(BATCH_ID, qty, new_ref(), {"from": buyer, "value": qty * PRICE})
        sold += qty
        i += 1
    assert tp.remaining(BATCH_ID) == 0
    total = sum(tp.balanceOf(a, PACK) for a in {*list(buyers), custodial})
    assert total == SUPPLY
    with reverts("InsufficientSupply(uint256,uint256,uint256)"):
        tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyers[0], "value": PRICE})
    with reverts("InsufficientSupply(uint256,uint256,uint256)"):
        tp.mintPacks(custodial, BATCH_ID, 1, new_ref(), {"from": minter})


def test_supply_cap_exact_boundary(tp, admin, minter, buyer, custodial, new_ref, reverts):
    tp.registerSong(900, 0, {"from": admin})
    tp.createBatch(3, PRICE, 5, True, [900], [1], {"from": admin})
    tp.buyPacks(3, 3, new_ref(), {"from": buyer, "value": 3 * PRICE})
    with reverts("InsufficientSupply(uint256,uint256,uint256)"):
        tp.mintPacks(custodial, 3, 3, new_ref(), {"from": minter})
    tp.mintPacks(custodial, 3, 2, new_ref(), {"from": minter})
    assert tp.remaining(3) == 0


# ---------------------------------------------------------------- opening


def test_open_and_fulfil(tp, batch, coordinator, buyer, new_ref):
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    tx = tp.openPack(BATCH_ID, {"from": buyer})
    rid = request_id_of(tx)
    assert tx.events["PackOpenRequested"] == {
        "requestId": rid,
        "holder": buyer,
        "batchId": BATCH_ID,
    }
    req = tx.events["RandomWordsRequested"]
    assert req["keyHash"] == KEY_HASH
    assert req["callbackGasLimit"] == 250_000
    assert req["numWords"] == 1
    assert req["minimumRequestConfirmations"] == 3
    assert tx.return_value == rid
    assert tp.balanceOf(buyer, PACK) == 0
    assert plain(tp.openRequest(rid)) == plain((buyer, BATCH_ID))

    word = 123456789
    tx = coordinator.fulfillRandomWordsWithOverride(rid, tp, [word], {"from": buyer})
    assert tx.events["RandomWordsFulfilled"]["success"] is True
    expected = draw_songs(word, list(WEIGHTS), list(WEIGHTS.values()))
    opened = tx.events["PackOpened"]
    assert opened["requestId"] == rid
    assert opened["holder"] == buyer
    assert opened["batchId"] == BATCH_ID
    assert list(opened["songIds"]) == expected
    assert sum(tp.balanceOf(buyer, s) for s in CATALOG) == 5
    for song in set(expected):
        assert tp.balanceOf(buyer, song) == expected.count(song)
    assert plain(tp.openRequest(rid)) == plain((ZERO_ADDRESS, 0))


def test_second_open_of_same_pack_refused(tp, batch, coordinator, buyer, new_ref, reverts):
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    rid = request_id_of(tp.openPack(BATCH_ID, {"from": buyer}))
    with reverts("NoPackToOpen(address,uint256)"):
        tp.openPack(BATCH_ID, {"from": buyer})
    coordinator.fulfillRandomWords(rid, tp, {"from": buyer})
    with reverts("NoPackToOpen(address,uint256)"):
        tp.openPack(BATCH_ID, {"from": buyer})


def test_open_reverts(tp, batch, stranger, reverts):
    with reverts("NoPackToOpen(address,uint256)"):
        tp.openPack(BATCH_ID, {"from": stranger})
    with reverts("UnknownBatch(uint256)"):
        tp.openPack(99, {"from": stranger})


def test_fulfilment_is_never_rerolled(
    tp, batch, coordinator, admin, buyer, stranger, new_ref, reverts
):
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    rid = request_id_of(tp.openPack(BATCH_ID, {"from": buyer}))
    coordinator.fulfillRandomWordsWithOverride(rid, tp, [1], {"from": buyer})
    balances = [tp.balanceOf(buyer, s) for s in CATALOG]
    # Point the consumer at an EOA acting as coordinator to replay and forge callbacks.
    tp.setCoordinator(stranger, {"from": admin})
    tx = tp.rawFulfillRandomWords(rid, [2], {"from": stranger})  # already fulfilled: ignored
    assert "PackOpened" not in tx.events
    tx = tp.rawFulfillRandomWords(10**30, [2], {"from": stranger})  # unknown request: ignored
    assert "PackOpened" not in tx.events
    tx = tp.rawFulfillRandomWords(rid, [], {"from": stranger})  # malformed: ignored
    assert "PackOpened" not in tx.events
    assert [tp.balanceOf(buyer, s) for s in CATALOG] == balances
    with reverts("OnlyCoordinatorCanFulfill(address,address)"):
        tp.rawFulfillRandomWords(rid, [2], {"from": buyer})


def test_unknown_request_via_mock_harmless(tp, batch, coordinator, buyer, new_ref):
    tp.buyPacks(BATCH_ID, 2, new_ref(), {"from": buyer, "value": 2 * PRICE})
    r1 = request_id_of(tp.openPack(BATCH_ID, {"from": buyer}))
    r2 = request_id_of(tp.openPack(BATCH_ID, {"from": buyer}))
    # fulfil out of order
    coordinator.fulfillRandomWords(r2, tp, {"from": buyer})
    coordinator.fulfillRandomWords(r1, tp, {"from": buyer})
    assert sum(tp.balanceOf(buyer, s) for s in CATALOG) == 10


def test_fulfilment_to_rejecting_contract_succeeds(
    tp, batch, coordinator, holder_contract, buyer, new_ref
):
    holder_contract.buy(tp, BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    assert tp.balanceOf(holder_contract, PACK) == 1
    holder_contract.setRejecting(True, {"from": buyer})
    tx = holder_contract.openMany(tp, BATCH_ID, 1, {"from": buyer})
    rid = tx.events["PackOpenRequested"]["requestId"]
    tx = coordinator.fulfillRandomWords(rid, tp, {"from": buyer})
    # the mock never reverts; assert on state
    assert tx.events["RandomWordsFulfilled"]["success"] is True
    assert "PackOpened" in tx.events
    assert sum(tp.balanceOf(holder_contract, s) for s in CATALOG) == 5
    assert tp.balanceOf(holder_contract, PACK) == 0


def test_callback_fits_the_minimum_gas_limit(tp, batch, admin, coordinator, buyer, new_ref):
    """The lowest gas limit admin can set (CALLBACK_GAS_BUDGET) is enough for a full reveal."""
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    tp.setCallbackGasLimit(200_000, {"from": admin})
    rid = request_id_of(tp.openPack(BATCH_ID, {"from": buyer}))
    tx = coordinator.fulfillRandomWords(rid, tp, {"from": buyer})
    assert tx.events["RandomWordsFulfilled"]["success"] is True


def test_open_pack_for_custodial(tp, batch, coordinator, minter, operator, custodial, new_ref):
    tp.mintPacks(custodial, BATCH_ID, 1, new_ref(), {"from": minter})
    tx = tp.openPackFor(custodial, BATCH_ID, {"from": operator})
    rid = request_id_of(tx)
    assert tx.events["PackOpenRequested"]["holder"] == custodial
    coordinator.fulfillRandomWords(rid, tp, {"from": operator})
    assert sum(tp.balanceOf(custodial, s) for s in CATALOG) == 5


def test_open_pack_for_reverts(
    tp, batch, minter, operator, buyer, custodial, stranger, new_ref, reverts
):
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    with reverts("NotCustodial(address)"):
        tp.openPackFor(buyer, BATCH_ID, {"from": operator})
    tp.mintPacks(custodial, BATCH_ID, 1, new_ref(), {"from": minter})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.openPackFor(custodial, BATCH_ID, {"from": stranger})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.openPackFor(custodial, BATCH_ID, {"from": minter})
    tp.openPackFor(custodial, BATCH_ID, {"from": operator})
    with reverts("NoPackToOpen(address,uint256)"):
        tp.openPackFor(custodial, BATCH_ID, {"from": operator})


# ---------------------------------------------------------------- custody


def _custodial_songs(tp, coordinator, minter, operator, custodial, new_ref):
    tp.mintPacks(custodial, BATCH_ID, 1, new_ref(), {"from": minter})
    rid = request_id_of(tp.openPackFor(custodial, BATCH_ID, {"from": operator}))
    tx = coordinator.fulfillRandomWords(rid, tp, {"from": operator})
    return list(tx.events["PackOpened"]["songIds"])


def test_withdraw_for(tp, batch, coordinator, minter, operator, custodial, buyer, new_ref):
    songs = _custodial_songs(tp, coordinator, minter, operator, custodial, new_ref)
    song = songs[0]
    count = songs.count(song)
    tx = tp.withdrawFor(custodial, buyer, song, count, {"from": operator})
    ev = tx.events["CustodialWithdrawal"]
    assert (ev["holder"], ev["to"], ev["tokenId"], ev["amount"], ev["operator"]) == (
        custodial,
        buyer,
        song,
        count,
        operator,
    )
    assert tx.events["TransferSingle"]["operator"] == operator
    assert tp.balanceOf(buyer, song) == count
    assert tp.balanceOf(custodial, song) == 0


def test_withdraw_for_reverts(
    tp,
    batch,
    coordinator,
    minter,
    operator,
    custodial,
    buyer,
    stranger,
    holder_contract,
    new_ref,
    reverts,
):
    songs = _custodial_songs(tp, coordinator, minter, operator, custodial, new_ref)
    song = songs[0]
    with reverts("AccessControlUnauthorizedAccount"):
        tp.withdrawFor(custodial, buyer, song, 1, {"from": stranger})
    with reverts("NotCustodial(address)"):
        tp.withdrawFor(buyer, stranger, song, 1, {"from": operator})
    with reverts("NotASongToken(uint256)"):
        tp.withdrawFor(custodial, buyer, PACK, 1, {"from": operator})
    with reverts("ZeroQuantity()"):
        tp.withdrawFor(custodial, buyer, song, 0, {"from": operator})
    with reverts("ERC1155InsufficientBalance"):
        tp.withdrawFor(custodial, buyer, song, 6, {"from": operator})
    with reverts("ERC1155InvalidReceiver"):
        tp.withdrawFor(custodial, ZERO_ADDRESS, song, 1, {"from": operator})
    # the safe-transfer hook runs on withdrawals: a rejecting wallet refuses them
    holder_contract.setRejecting(True, {"from": buyer})
    with reverts("Rejected()"):
        tp.withdrawFor(custodial, holder_contract, song, 1, {"from": operator})


def test_set_custodial(tp, admin, stranger, buyer, reverts):
    tx = tp.setCustodial(buyer, True, {"from": admin})
    assert tx.events["CustodialSet"] == {"holder": buyer, "custodial": True}
    assert tp.isCustodial(buyer)
    tp.setCustodial(buyer, False, {"from": admin})
    assert not tp.isCustodial(buyer)
    with reverts("ZeroAddress()"):
        tp.setCustodial(ZERO_ADDRESS, True, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setCustodial(buyer, True, {"from": stranger})


# ---------------------------------------------------------------- pause


def test_pause_blocks_sales_and_opens_not_fulfilment(
    tp, batch, coordinator, admin, minter, operator, buyer, custodial, stranger, new_ref, reverts
):
    tp.buyPacks(BATCH_ID, 2, new_ref(), {"from": buyer, "value": 2 * PRICE})
    tp.mintPacks(custodial, BATCH_ID, 1, new_ref(), {"from": minter})
    rid = request_id_of(tp.openPack(BATCH_ID, {"from": buyer}))
    with reverts("AccessControlUnauthorizedAccount"):
        tp.pause({"from": stranger})
    tx = tp.pause({"from": admin})
    assert "Paused" in tx.events
    assert tp.paused()
    with reverts("EnforcedPause()"):
        tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    with reverts("EnforcedPause()"):
        tp.mintPacks(custodial, BATCH_ID, 1, new_ref(), {"from": minter})
    with reverts("EnforcedPause()"):
        tp.openPack(BATCH_ID, {"from": buyer})
    with reverts("EnforcedPause()"):
        tp.openPackFor(custodial, BATCH_ID, {"from": operator})
    tx = coordinator.fulfillRandomWords(rid, tp, {"from": buyer})
    assert "PackOpened" in tx.events
    with reverts("AccessControlUnauthorizedAccount"):
        tp.unpause({"from": stranger})
    tx = tp.unpause({"from": admin})
    assert "Unpaused" in tx.events
    assert not tp.paused()
    tp.openPack(BATCH_ID, {"from": buyer})


# ---------------------------------------------------------------- proceeds, royalties, uri, vrf


def test_withdraw_proceeds(
    tp, batch, admin, buyer, treasury, stranger, holder_contract, new_ref, reverts
):
    with reverts("NothingToWithdraw()"):
        tp.withdrawProceeds(treasury, {"from": admin})
    tp.buyPacks(BATCH_ID, 4, new_ref(), {"from": buyer, "value": 4 * PRICE})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.withdrawProceeds(stranger, {"from": stranger})
    with reverts("ZeroAddress()"):
        tp.withdrawProceeds(ZERO_ADDRESS, {"from": admin})
    with reverts("ProceedsTransferFailed()"):
        tp.withdrawProceeds(holder_contract, {"from": admin})  # no receive(): refuses ETH
    before = treasury.balance()
    tx = tp.withdrawProceeds(treasury, {"from": admin})
    assert tx.events["ProceedsWithdrawn"] == {"treasury": treasury, "amount": 4 * PRICE}
    assert treasury.balance() - before == 4 * PRICE
    assert tp.balance() == 0


def test_royalties(tp, admin, stranger, treasury, reverts):
    tx = tp.setDefaultRoyalty(treasury, 1_000, {"from": admin})
    assert tx.events["DefaultRoyaltySet"] == {"receiver": treasury, "feeNumerator": 1_000}
    assert plain(tp.royaltyInfo(5, 1_000_000)) == plain((treasury, 100_000))
    assert plain(tp.royaltyInfo(PACK, 10**18)) == plain((treasury, 10**17))
    with reverts("ERC2981InvalidDefaultRoyalty"):
        tp.setDefaultRoyalty(treasury, 10_001, {"from": admin})
    with reverts("ERC2981InvalidDefaultRoyaltyReceiver"):
        tp.setDefaultRoyalty(ZERO_ADDRESS, 100, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setDefaultRoyalty(stranger, 100, {"from": stranger})


def test_uri(tp, admin, stranger, reverts):
    assert tp.uri(PACK) == BASE_URI
    new = "https://trackpacks.example/metadata/{id}.json"
    tx = tp.setURI(new, {"from": admin})
    assert tx.events["BaseURISet"]["newUri"] == new
    assert tp.uri(1) == new
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setURI("x", {"from": stranger})


def test_vrf_settings(tp, batch, coordinator, admin, stranger, buyer, new_ref, reverts):
    new_hash = "0x" + "ab" * 32
    tx = tp.setVrfConfig(new_hash, 77, 5, {"from": admin})
    assert tx.events["VrfConfigSet"] == {
        "keyHash": new_hash,
        "subscriptionId": 77,
        "requestConfirmations": 5,
    }
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setVrfConfig(new_hash, 77, 5, {"from": stranger})
    with reverts("CallbackGasLimitTooLow(uint32)"):
        tp.setCallbackGasLimit(199_999, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setCallbackGasLimit(300_000, {"from": stranger})
    tx = tp.setCallbackGasLimit(300_000, {"from": admin})
    assert tx.events["CallbackGasLimitSet"]["callbackGasLimit"] == 300_000
    assert plain(tp.vrfConfig()) == plain((new_hash, 77, 5, 300_000))


def test_request_uses_configured_gas_limit(tp, batch, coordinator, admin, buyer, new_ref):
    tp.setCallbackGasLimit(400_000, {"from": admin})
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    tx = tp.openPack(BATCH_ID, {"from": buyer})
    assert tx.events["RandomWordsRequested"]["callbackGasLimit"] == 400_000


def test_set_coordinator_only_owner(tp, stranger, reverts):
    with reverts("OnlyOwnerOrCoordinator(address,address,address)"):
        tp.setCoordinator(stranger, {"from": stranger})


def test_packs_are_transferable(tp, batch, buyer, stranger, new_ref):
    tp.buyPacks(BATCH_ID, 2, new_ref(), {"from": buyer, "value": 2 * PRICE})
    tp.safeTransferFrom(buyer, stranger, PACK, 1, b"", {"from": buyer})
    assert tp.balanceOf(stranger, PACK) == 1
    tp.openPack(BATCH_ID, {"from": stranger})
    assert web3.eth.get_balance(tp.address) == 2 * PRICE
