"""Behaviour of TrackPacks v2: every external function's success and revert paths, and the
attacks of issue 10 (backend keys, reference blocking, VRF owner, lost openings)."""

import brownie
from brownie import ZERO_ADDRESS, TrackPacks, accounts, chain, web3
from conftest import (
    BASE_URI,
    BATCH_ID,
    CATALOG,
    KEY_HASH,
    PACK_ID_OFFSET,
    PRICE,
    RETRY_DELAY,
    ROYALTY_BPS,
    SUPPLY,
    USER,
    WEIGHTS,
    custodial_of,
    draw_songs,
    now,
    plain,
    request_id_of,
)
from eth_utils import keccak

from scripts.gas_report import worst_words

ADMIN_ROLE = "0x" + "00" * 32
PACK = PACK_ID_OFFSET + BATCH_ID
PENDING, FULFILLED, VOID = 1, 2, 3
SONGS, SONG_WEIGHTS = list(WEIGHTS), list(WEIGHTS.values())


def role(name: str) -> str:
    return "0x" + keccak(text=name).hex()


def songs_of(tp, holder) -> int:
    return sum(tp.balanceOf(holder, s) for s in CATALOG)


def mint_custodial(tp, minter, ref, user=USER, quantity=1):
    return tp.mintPacks(user, BATCH_ID, quantity, ref, {"from": minter})


# ---------------------------------------------------------------- deployment / views


def test_deployment_state(
    tp, coordinator, sub_id, admin, minter, operator, deployer, royalty_receiver
):
    assert tp.hasRole(ADMIN_ROLE, admin)
    assert tp.hasRole(role("MINTER_ROLE"), minter)
    assert tp.hasRole(role("OPERATOR_ROLE"), operator)
    for r in (ADMIN_ROLE, role("MINTER_ROLE"), role("OPERATOR_ROLE")):
        assert not tp.hasRole(r, deployer)  # the deployer keeps no role
    assert not tp.hasRole(ADMIN_ROLE, minter)
    assert not tp.hasRole(ADMIN_ROLE, operator)
    assert tp.owner() == deployer  # Chainlink ConfirmedOwner until governance accepts
    assert tp.s_vrfCoordinator() == coordinator
    assert plain(tp.vrfConfig()) == plain((KEY_HASH, sub_id, 3, 250_000))
    assert tp.OPEN_RETRY_DELAY() == RETRY_DELAY
    assert tp.CALLBACK_GAS_BUDGET() == 165_000
    assert tp.uri(1) == BASE_URI
    assert plain(tp.royaltyInfo(1, 10_000)) == plain((royalty_receiver, ROYALTY_BPS))
    assert not tp.paused()
    assert not tp.urisFrozen()


def test_supports_interface(tp):
    for iface in ("0x01ffc9a7", "0xd9b67a26", "0x0e89341c", "0x2a55205a", "0x7965db0b"):
        assert tp.supportsInterface(iface), iface
    assert not tp.supportsInterface("0xffffffff")


def test_constructor_validation(coordinator, sub_id, admin, minter, operator, deployer, reverts):
    def deploy(**over):
        args = {
            "coordinator": coordinator,
            "key": KEY_HASH,
            "sub": sub_id,
            "admin": admin,
            "minter": minter,
            "operator": operator,
            "uri": BASE_URI,
            "receiver": admin,
            "bps": 500,
            "delay": RETRY_DELAY,
        }
        args.update(over)
        return TrackPacks.deploy(*args.values(), {"from": deployer})

    with reverts("ZeroAddress()"):
        deploy(admin=ZERO_ADDRESS)
    with reverts("ZeroAddress()"):
        deploy(operator=ZERO_ADDRESS)
    with reverts("RolesNotDistinct()"):
        deploy(minter=operator)
    with reverts("RolesNotDistinct()"):
        deploy(admin=minter)
    with reverts("RetryDelayTooShort(uint32)"):
        deploy(delay=86_399)
    with reverts("RoyaltyTooHigh(uint96)"):
        deploy(bps=1001)
    with reverts("InvalidKeyHash()"):
        deploy(key="0x" + "00" * 32)
    with reverts("InvalidSubscriptionId()"):
        deploy(sub=0)
    assert deploy(bps=1000, delay=86_400).OPEN_RETRY_DELAY() == 86_400


def test_custodial_address_derivation(tp, reverts):
    for user in (1, USER, 2**64 + 3):
        assert tp.custodialAddress(user) == custodial_of(tp, user)
    assert tp.custodialAddress(1) != tp.custodialAddress(2)
    with reverts("ZeroUserId()"):
        tp.custodialAddress(0)


def test_pack_token_id(tp, reverts):
    assert tp.packTokenId(0) == 2**128
    assert tp.packTokenId(2**48 - 1) == 2**128 + 2**48 - 1
    with reverts("BatchIdOutOfRange(uint256)"):
        tp.packTokenId(2**48)


# ---------------------------------------------------------------- catalog and batches


def test_register_song(tp, admin, stranger, reverts):
    tx = tp.registerSong(42, 2, {"from": admin})
    assert tx.events["SongRegistered"] == {"tokenId": 42, "tier": 2}
    assert plain(tp.songInfo(42)) == [True, 2]
    with reverts("SongAlreadyRegistered(uint256)"):
        tp.registerSong(42, 1, {"from": admin})
    with reverts("SongIdOutOfRange(uint256)"):
        tp.registerSong(2**128, 0, {"from": admin})
    with reverts("LengthMismatch()"):
        tp.registerSongs([50, 51], [0], {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.registerSong(43, 0, {"from": stranger})


def test_create_batch(tp, batch, admin):
    price, supply, minted, start, end, total = tp.batchInfo(BATCH_ID)
    assert (price, supply, minted, end, total) == (PRICE, SUPPLY, 0, 0, sum(SONG_WEIGHTS))
    assert 0 < start <= now()
    assert plain(tp.batchPool(BATCH_ID)) == [SONGS, SONG_WEIGHTS]
    assert tp.remaining(BATCH_ID) == SUPPLY
    assert tp.saleOpen(BATCH_ID)
    tx = tp.createBatch(8, PRICE, 5, 0, 0, SONGS[:5], [1, 2, 3, 4, 5], {"from": admin})
    ev = tx.events["BatchCreated"]
    assert ev["packTokenId"] == PACK_ID_OFFSET + 8
    assert ev["saleStart"] == 0
    assert list(ev["songIds"]) == SONGS[:5]
    assert list(ev["weights"]) == [1, 2, 3, 4, 5]
    assert not tp.saleOpen(8)  # saleStart 0: not scheduled


def test_create_batch_reverts(tp, batch, admin, stranger, reverts):
    s, w = SONGS, SONG_WEIGHTS
    cases = [
        ((BATCH_ID, PRICE, 1, 0, 0, s, w), "BatchAlreadyExists(uint256)"),
        ((2**48, PRICE, 1, 0, 0, s, w), "BatchIdOutOfRange(uint256)"),
        ((9, 0, 1, 0, 0, s, w), "InvalidPrice(uint256)"),
        ((9, 2**96, 1, 0, 0, s, w), "InvalidPrice(uint256)"),
        ((9, PRICE, 0, 0, 0, s, w), "InvalidSupply(uint256)"),
        ((9, PRICE, 2**32, 0, 0, s, w), "InvalidSupply(uint256)"),
        ((9, PRICE, 1, 0, 100, s, w), "InvalidSaleWindow(uint64,uint64)"),
        ((9, PRICE, 1, 100, 100, s, w), "InvalidSaleWindow(uint64,uint64)"),
        ((9, PRICE, 1, 2**40, 0, s, w), "InvalidSaleWindow(uint64,uint64)"),
        ((9, PRICE, 1, 0, 0, s[:4], w[:4]), "InvalidPoolSize(uint256)"),
        ((9, PRICE, 1, 0, 0, s, w[:5]), "LengthMismatch()"),
        ((9, PRICE, 1, 0, 0, [*s[:5], 999], w), "SongNotRegistered(uint256)"),
        ((9, PRICE, 1, 0, 0, [*s[:5], 1], w), "DuplicateSong(uint256)"),
        ((9, PRICE, 1, 0, 0, s, [0, *w[1:]]), "ZeroWeight(uint256)"),
        ((9, PRICE, 1, 0, 0, s, [2**32 - 5, *w[1:]]), "TotalWeightTooLarge(uint256)"),
    ]
    for args, error in cases:
        with reverts(error):
            tp.createBatch(*args, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.createBatch(9, PRICE, 1, 0, 0, s, w, {"from": stranger})


def test_pool_size_cap(tp, admin, reverts):
    ids = list(range(100, 165))
    tp.registerSongs(ids, [0] * 65, {"from": admin})
    with reverts("InvalidPoolSize(uint256)"):
        tp.createBatch(3, PRICE, 1, 0, 0, ids, [1] * 65, {"from": admin})
    tp.createBatch(3, PRICE, 1, 0, 0, ids[:64], [1] * 64, {"from": admin})
    assert plain(tp.batchPool(3)) == [ids[:64], [1] * 64]


def test_views_of_unknown_batch(tp, reverts):
    for view in (tp.batchInfo, tp.batchPool, tp.remaining, tp.saleOpen):
        with reverts("UnknownBatch(uint256)"):
            view(99)
    with reverts("UnknownBatch(uint256)"):
        tp.drawSongs(99, 1)


# ---------------------------------------------------------------- sale window and price


def test_sale_window_enforced(tp, batch, admin, buyer, stranger, new_ref, reverts):
    start = now() + 1000
    tx = tp.setSaleWindow(BATCH_ID, start, start + 500, {"from": admin})
    assert tx.events["BatchSaleWindowSet"] == {
        "batchId": BATCH_ID,
        "saleStart": start,
        "saleEnd": start + 500,
    }
    with reverts("SaleClosed(uint256)"):  # not started yet
        tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    chain.sleep(1001)
    chain.mine()
    assert tp.saleOpen(BATCH_ID)
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    chain.sleep(600)
    chain.mine()
    with reverts("SaleClosed(uint256)"):  # ended
        tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    tp.setSaleWindow(BATCH_ID, now(), 0, {"from": admin})
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    tp.setSaleWindow(BATCH_ID, 0, 0, {"from": admin})  # close now
    with reverts("SaleClosed(uint256)"):
        tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    with reverts("InvalidSaleWindow(uint64,uint64)"):
        tp.setSaleWindow(BATCH_ID, 0, 5, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setSaleWindow(BATCH_ID, 0, 0, {"from": stranger})
    with reverts("UnknownBatch(uint256)"):
        tp.setSaleWindow(99, 0, 0, {"from": admin})


def test_card_mints_ignore_the_sale_window(tp, batch, admin, minter, new_ref):
    tp.setSaleWindow(BATCH_ID, 0, 0, {"from": admin})
    mint_custodial(tp, minter, new_ref())
    assert tp.balanceOf(tp.custodialAddress(USER), PACK) == 1


def test_price_change_refused_after_the_sale_started(
    tp, batch, admin, minter, buyer, new_ref, reverts
):
    with reverts("SaleStarted(uint256)"):  # window open
        tp.setBatchPrice(BATCH_ID, 2 * PRICE, {"from": admin})
    tp.setSaleWindow(BATCH_ID, 0, 0, {"from": admin})
    tx = tp.setBatchPrice(BATCH_ID, 2 * PRICE, {"from": admin})
    assert tx.events["BatchPriceSet"] == {"batchId": BATCH_ID, "price": 2 * PRICE}
    with reverts("InvalidPrice(uint256)"):
        tp.setBatchPrice(BATCH_ID, 0, {"from": admin})
    mint_custodial(tp, minter, new_ref())  # one pack minted: the price is final
    with reverts("SaleStarted(uint256)"):
        tp.setBatchPrice(BATCH_ID, 3 * PRICE, {"from": admin})
    assert tp.batchInfo(BATCH_ID)[0] == 2 * PRICE


# ---------------------------------------------------------------- sales


def test_buy_packs(tp, batch, buyer, new_ref):
    ref = new_ref()
    tx = tp.buyPacks(BATCH_ID, 3, ref, {"from": buyer, "value": 3 * PRICE})
    assert tx.events["PacksPurchased"] == {
        "buyer": buyer,
        "batchId": BATCH_ID,
        "orderRef": ref,
        "quantity": 3,
        "paid": 3 * PRICE,
    }
    assert tp.balanceOf(buyer, PACK) == 3
    assert tp.remaining(BATCH_ID) == SUPPLY - 3
    assert web3.eth.get_balance(tp.address) == 3 * PRICE


def test_buy_reverts(tp, batch, admin, buyer, new_ref, reverts):
    with reverts("WrongPayment(uint256,uint256)"):
        tp.buyPacks(BATCH_ID, 2, new_ref(), {"from": buyer, "value": PRICE})
    with reverts("ZeroQuantity()"):
        tp.buyPacks(BATCH_ID, 0, new_ref(), {"from": buyer, "value": 0})
    with reverts("ZeroOrderRef()"):
        tp.buyPacks(BATCH_ID, 1, "0x" + "00" * 32, {"from": buyer, "value": PRICE})
    with reverts("UnknownBatch(uint256)"):
        tp.buyPacks(99, 1, new_ref(), {"from": buyer, "value": PRICE})
    with reverts("InsufficientSupply(uint256,uint256,uint256)"):
        tp.buyPacks(BATCH_ID, SUPPLY + 1, new_ref(), {"from": buyer, "value": (SUPPLY + 1) * PRICE})


def test_crypto_refs_cannot_be_blocked(tp, batch, buyer, stranger, new_ref):
    """A crypto reference is bound to its buyer: a stranger who front-runs it with the same ref
    buys their own packs and the buyer's purchase still goes through (the backend settles an
    order only from the linked wallet's PacksPurchased)."""
    ref = new_ref()
    front = tp.buyPacks(BATCH_ID, 1, ref, {"from": stranger, "value": PRICE})
    tx = tp.buyPacks(BATCH_ID, 1, ref, {"from": buyer, "value": PRICE})
    assert front.events["PacksPurchased"]["buyer"] == stranger
    assert tx.events["PacksPurchased"]["buyer"] == buyer
    assert tp.balanceOf(buyer, PACK) == 1


def test_card_refs_cannot_be_blocked(tp, batch, minter, stranger, new_ref, reverts):
    """Copying a card order's reference into buyPacks cannot make the minter's mint revert."""
    ref = new_ref()
    tp.buyPacks(BATCH_ID, 1, ref, {"from": stranger, "value": PRICE})
    assert not tp.cardRefUsed(ref)
    tx = mint_custodial(tp, minter, ref)
    assert tx.events["PacksMinted"]["orderRef"] == ref
    assert tp.cardRefUsed(ref)
    with reverts("OrderRefAlreadyUsed(bytes32)"):  # a re-sent mint never mints twice
        mint_custodial(tp, minter, ref)


def test_mint_packs(tp, batch, minter, new_ref):
    ref = new_ref()
    tx = mint_custodial(tp, minter, ref, quantity=2)
    holder = custodial_of(tp, USER)
    assert tx.events["PacksMinted"] == {
        "to": holder,
        "batchId": BATCH_ID,
        "orderRef": ref,
        "quantity": 2,
        "userId": USER,
    }
    assert tp.balanceOf(holder, PACK) == 2
    assert tp.remaining(BATCH_ID) == SUPPLY - 2


def test_mint_reverts(tp, batch, admin, minter, operator, stranger, new_ref, reverts):
    for account in (stranger, operator, admin):
        with reverts("AccessControlUnauthorizedAccount"):
            mint_custodial(tp, account, new_ref())
    with reverts("ZeroUserId()"):
        tp.mintPacks(0, BATCH_ID, 1, new_ref(), {"from": minter})
    with reverts("ZeroOrderRef()"):
        mint_custodial(tp, minter, "0x" + "00" * 32)
    with reverts("UnknownBatch(uint256)"):
        tp.mintPacks(USER, 99, 1, new_ref(), {"from": minter})
    with reverts("ZeroQuantity()"):
        mint_custodial(tp, minter, new_ref(), quantity=0)


def test_supply_cap_under_mixed_paths(tp, batch, admin, minter, buyer, new_ref, reverts):
    tp.createBatch(30, PRICE, 3, now(), 0, SONGS, SONG_WEIGHTS, {"from": admin})
    tp.buyPacks(30, 2, new_ref(), {"from": buyer, "value": 2 * PRICE})
    tp.mintPacks(USER, 30, 1, new_ref(), {"from": minter})
    assert tp.remaining(30) == 0
    with reverts("InsufficientSupply(uint256,uint256,uint256)"):
        tp.mintPacks(USER, 30, 1, new_ref(), {"from": minter})
    with reverts("InsufficientSupply(uint256,uint256,uint256)"):
        tp.buyPacks(30, 1, new_ref(), {"from": buyer, "value": PRICE})


# ---------------------------------------------------------------- custody attacks


def test_backend_keys_cannot_touch_a_self_custody_wallet(
    tp, batch, coordinator, admin, minter, operator, buyer, new_ref, reverts
):
    """The minter and operator together (even with the admin granting them more roles) have no
    function that names a holder: they can only reach keccak-derived custodial addresses."""
    tp.buyPacks(BATCH_ID, 2, new_ref(), {"from": buyer, "value": 2 * PRICE})
    rid = request_id_of(tp.openPack(BATCH_ID, {"from": buyer}))
    coordinator.fulfillRandomWordsWithOverride(rid, tp, [7], {"from": buyer})
    before = [tp.balanceOf(buyer, t) for t in [*CATALOG, PACK]]
    tp.grantRole(role("OPERATOR_ROLE"), minter, {"from": admin})
    tp.grantRole(role("MINTER_ROLE"), operator, {"from": admin})
    song = draw_songs(7, SONGS, SONG_WEIGHTS)[0]
    for key in (minter, operator, admin):
        # ERC-1155 transfers need the holder's approval.
        with reverts("ERC1155MissingApprovalForAll"):
            tp.safeTransferFrom(buyer, key, song, 1, b"", {"from": key})
        with reverts("ERC1155MissingApprovalForAll"):
            tp.safeBatchTransferFrom(buyer, key, [PACK], [1], b"", {"from": key})
    # No user id maps to the buyer's address, and the operator paths only take user ids.
    assert buyer not in {tp.custodialAddress(u) for u in range(1, 50)}
    tp.mintPacks(USER, BATCH_ID, 1, new_ref(), {"from": minter})  # cannot mint to the buyer
    tp.openPackFor(USER, BATCH_ID, new_ref(), {"from": operator})  # opens the custodial pack
    assert [tp.balanceOf(buyer, t) for t in [*CATALOG, PACK]] == before
    # There is no function to flag an address custodial any more.
    for name in ("setCustodial", "isCustodial"):
        assert not hasattr(tp, name)


def test_open_pack_for_custodial(tp, batch, coordinator, minter, operator, new_ref):
    mint_custodial(tp, minter, new_ref())
    holder = custodial_of(tp, USER)
    tx = tp.openPackFor(USER, BATCH_ID, new_ref(), {"from": operator})
    assert tx.events["PackOpenRequested"]["holder"] == holder
    tx = coordinator.fulfillRandomWords(request_id_of(tx), tp, {"from": operator})
    assert tx.events["PackOpened"]["holder"] == holder
    assert songs_of(tp, holder) == 5


def test_operator_refs_make_resends_revert(
    tp, batch, coordinator, minter, operator, buyer, stranger, new_ref, reverts
):
    mint_custodial(tp, minter, new_ref(), quantity=3)
    ref = new_ref()
    rid = request_id_of(tp.openPackFor(USER, BATCH_ID, ref, {"from": operator}))
    assert tp.operatorRefUsed(ref)
    with reverts("OperatorRefAlreadyUsed(bytes32)"):  # the same transaction sent again
        tp.openPackFor(USER, BATCH_ID, ref, {"from": operator})
    assert tp.balanceOf(custodial_of(tp, USER), PACK) == 2
    with reverts("ZeroOrderRef()"):
        tp.openPackFor(USER, BATCH_ID, "0x" + "00" * 32, {"from": operator})
    song = coordinator.fulfillRandomWords(rid, tp, {"from": operator}).events["PackOpened"][
        "songIds"
    ][0]
    wref = new_ref()
    tx = tp.withdrawFor(USER, buyer, song, 1, wref, {"from": operator})
    assert tx.events["CustodialWithdrawal"] == {
        "holder": custodial_of(tp, USER),
        "to": buyer,
        "tokenId": song,
        "amount": 1,
        "userId": USER,
        "opRef": wref,
    }
    with reverts("OperatorRefAlreadyUsed(bytes32)"):
        tp.withdrawFor(USER, buyer, song, 1, wref, {"from": operator})
    with reverts("OperatorRefAlreadyUsed(bytes32)"):  # one space shared by both functions
        tp.openPackFor(USER, BATCH_ID, wref, {"from": operator})
    for account in (stranger, minter):
        with reverts("AccessControlUnauthorizedAccount"):
            tp.openPackFor(USER, BATCH_ID, new_ref(), {"from": account})


def test_withdraw_for_reverts(tp, batch, coordinator, minter, operator, buyer, new_ref, reverts):
    mint_custodial(tp, minter, new_ref(), quantity=2)
    with reverts("NotASongToken(uint256)"):  # packs stay in custody
        tp.withdrawFor(USER, buyer, PACK, 1, new_ref(), {"from": operator})
    with reverts("ZeroQuantity()"):
        tp.withdrawFor(USER, buyer, 1, 0, new_ref(), {"from": operator})
    with reverts("ERC1155InsufficientBalance"):
        tp.withdrawFor(USER, buyer, 1, 1, new_ref(), {"from": operator})
    with reverts("ZeroUserId()"):
        tp.withdrawFor(0, buyer, 1, 1, new_ref(), {"from": operator})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.withdrawFor(USER, buyer, 1, 1, new_ref(), {"from": minter})


def test_withdraw_to_rejecting_contract_reverts(
    tp, batch, coordinator, minter, operator, holder_contract, new_ref, reverts
):
    mint_custodial(tp, minter, new_ref())
    rid = request_id_of(tp.openPackFor(USER, BATCH_ID, new_ref(), {"from": operator}))
    song = coordinator.fulfillRandomWords(rid, tp, {"from": operator}).events["PackOpened"][
        "songIds"
    ][0]
    holder_contract.setRejecting(True, {"from": operator})
    ref = new_ref()
    with reverts("Rejected()"):
        tp.withdrawFor(USER, holder_contract, song, 1, ref, {"from": operator})
    assert not tp.operatorRefUsed(ref)  # nothing half-applied


# ---------------------------------------------------------------- opening and the callback


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
    assert (req["keyHash"], req["callbackGasLimit"], req["numWords"]) == (KEY_HASH, 250_000, 1)
    assert tx.return_value == rid
    assert tp.balanceOf(buyer, PACK) == 0
    holder, batch_id, requested_at, status = tp.openRequest(rid)
    assert (holder, batch_id, status) == (buyer, BATCH_ID, PENDING)
    assert requested_at == web3.eth.get_block(tx.block_number)["timestamp"]

    word = 123456789
    tx = coordinator.fulfillRandomWordsWithOverride(rid, tp, [word], {"from": buyer})
    assert tx.events["RandomWordsFulfilled"]["success"] is True
    expected = draw_songs(word, SONGS, SONG_WEIGHTS)
    opened = tx.events["PackOpened"]
    assert (opened["requestId"], opened["holder"], opened["batchId"]) == (rid, buyer, BATCH_ID)
    assert opened["randomWord"] == word  # verifiable from this event alone
    assert list(opened["songIds"]) == expected
    assert len(set(expected)) == 5
    assert all(tp.balanceOf(buyer, s) == 1 for s in expected)
    assert tp.openRequest(rid)[3] == FULFILLED


def test_open_reverts(tp, batch, buyer, stranger, new_ref, reverts, admin):
    with reverts("NoPackToOpen(address,uint256)"):
        tp.openPack(BATCH_ID, {"from": stranger})
    with reverts("NoPackToOpen(address,uint256)"):
        tp.openPack(99, {"from": stranger})
    with reverts("BatchIdOutOfRange(uint256)"):
        tp.openPack(2**48, {"from": stranger})
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    tp.openPack(BATCH_ID, {"from": buyer})
    with reverts("NoPackToOpen(address,uint256)"):  # the pack is burned
        tp.openPack(BATCH_ID, {"from": buyer})


def test_forged_and_replayed_fulfilments_change_nothing(
    tp, batch, coordinator, deployer, buyer, stranger, new_ref, reverts
):
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    rid = request_id_of(tp.openPack(BATCH_ID, {"from": buyer}))
    coordinator.fulfillRandomWordsWithOverride(rid, tp, [1], {"from": buyer})
    balances = [tp.balanceOf(buyer, s) for s in CATALOG]
    with reverts("OnlyCoordinatorCanFulfill(address,address)"):
        tp.rawFulfillRandomWords(rid, [2], {"from": buyer})
    # Even an owner pointing the consumer at an EOA cannot re-roll a fulfilled opening.
    tp.setCoordinator(stranger, {"from": deployer})
    for args in ((rid, [2]), (10**30, [2]), (rid, [])):
        assert "PackOpened" not in tp.rawFulfillRandomWords(*args, {"from": stranger}).events
    assert [tp.balanceOf(buyer, s) for s in CATALOG] == balances


def test_callback_never_reverts_into_a_rejecting_contract(
    tp, batch, coordinator, holder_contract, buyer, new_ref
):
    holder_contract.buy(tp, BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    holder_contract.setRejecting(True, {"from": buyer})
    rid = holder_contract.openMany(tp, BATCH_ID, 1, {"from": buyer}).events["PackOpenRequested"][
        "requestId"
    ]
    tx = coordinator.fulfillRandomWords(rid, tp, {"from": buyer})
    assert tx.events["RandomWordsFulfilled"]["success"] is True
    assert songs_of(tp, holder_contract) == 5


def test_callback_fits_the_lowest_gas_limit(tp, admin, coordinator, buyer, new_ref):
    """64-song pool, fresh holder, the words that read the most storage, and the lowest gas limit
    admin can set (CALLBACK_GAS_BUDGET): the mock forwards exactly that gas, and the reveal
    still succeeds."""
    ids = list(range(1000, 1064))
    weights = [1 + (i * 7919) % 60 for i in range(64)]  # the gas report's pool
    tp.registerSongs(ids, [0] * 64, {"from": admin})
    tp.createBatch(31, PRICE, 10, now(), 0, ids, weights, {"from": admin})
    tp.setCallbackGasLimit(165_000, {"from": admin})
    for word in worst_words(ids, weights, 3):
        holder = accounts.add()
        buyer.transfer(holder, 10**17)
        tp.buyPacks(31, 1, new_ref(), {"from": holder, "value": PRICE})
        rid = request_id_of(tp.openPack(31, {"from": holder}))
        tx = coordinator.fulfillRandomWordsWithOverride(rid, tp, [word], {"from": buyer})
        assert tx.events["RandomWordsFulfilled"]["success"] is True
        assert sorted(tx.events["PackOpened"]["songIds"]) == sorted(draw_songs(word, ids, weights))
        assert sum(tp.balanceOf(holder, s) for s in ids) == 5


# ---------------------------------------------------------------- recovery


def test_unfulfilled_request_is_recovered_exactly_once(
    tp, batch, coordinator, buyer, stranger, operator, new_ref, reverts
):
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    old = request_id_of(tp.openPack(BATCH_ID, {"from": buyer}))
    with reverts("RetryTooEarly(uint256,uint256)"):
        tp.retryOpen(old, {"from": buyer})
    chain.sleep(RETRY_DELAY)
    chain.mine()
    with reverts("NotRequestHolder(address,address)"):
        tp.retryOpen(old, {"from": stranger})
    tx = tp.retryOpen(old, {"from": buyer})
    new = tx.return_value
    assert tx.events["PackOpenRetried"] == {
        "oldRequestId": old,
        "newRequestId": new,
        "holder": buyer,
        "batchId": BATCH_ID,
    }
    assert "PackOpenRequested" not in tx.events
    assert tp.openRequest(old)[3] == VOID
    assert tp.openRequest(new)[3] == PENDING
    for account in (buyer, operator):
        with reverts("RequestNotPending(uint256)"):  # exactly once
            tp.retryOpen(old, {"from": account})
    with reverts("RequestNotPending(uint256)"):
        tp.retryOpen(12345, {"from": operator})

    # The late fulfilment of the void id changes nothing; the new one reveals the pack.
    tx = coordinator.fulfillRandomWordsWithOverride(old, tp, [5], {"from": buyer})
    assert "PackOpened" not in tx.events
    assert songs_of(tp, buyer) == 0
    assert tp.openRequest(old)[3] == VOID
    tx = coordinator.fulfillRandomWordsWithOverride(new, tp, [6], {"from": buyer})
    assert list(tx.events["PackOpened"]["songIds"]) == draw_songs(6, SONGS, SONG_WEIGHTS)
    assert songs_of(tp, buyer) == 5
    with reverts("RequestNotPending(uint256)"):
        tp.retryOpen(new, {"from": buyer})


def test_operator_retries_a_custodial_opening(tp, batch, coordinator, minter, operator, new_ref):
    mint_custodial(tp, minter, new_ref())
    old = request_id_of(tp.openPackFor(USER, BATCH_ID, new_ref(), {"from": operator}))
    chain.sleep(RETRY_DELAY + 1)
    chain.mine()
    new = tp.retryOpen(old, {"from": operator}).return_value
    coordinator.fulfillRandomWords(new, tp, {"from": operator})
    assert songs_of(tp, custodial_of(tp, USER)) == 5


def test_reused_request_ids_are_refused(
    repeating, admin, minter, operator, deployer, buyer, new_ref, reverts
):
    """A coordinator that hands out an id twice cannot overwrite a pending (or any) request."""
    tp = TrackPacks.deploy(
        repeating,
        KEY_HASH,
        1,
        admin,
        minter,
        operator,
        BASE_URI,
        admin,
        0,
        RETRY_DELAY,
        {"from": deployer},
    )
    tp.registerSongs(SONGS, [0] * 6, {"from": admin})
    tp.createBatch(BATCH_ID, PRICE, 10, now(), 0, SONGS, SONG_WEIGHTS, {"from": admin})
    tp.buyPacks(BATCH_ID, 3, new_ref(), {"from": buyer, "value": 3 * PRICE})
    repeating.setNextId(77, {"from": admin})
    tp.openPack(BATCH_ID, {"from": buyer})
    with reverts("RequestIdReused(uint256)"):  # pending
        tp.openPack(BATCH_ID, {"from": buyer})
    assert tp.balanceOf(buyer, PACK) == 2  # the reverted open burned nothing
    repeating.fulfil(tp, 77, 3, {"from": admin})
    with reverts("RequestIdReused(uint256)"):  # fulfilled
        tp.openPack(BATCH_ID, {"from": buyer})
    chain.sleep(RETRY_DELAY)
    repeating.setNextId(78, {"from": admin})
    tp.openPack(BATCH_ID, {"from": buyer})
    chain.sleep(RETRY_DELAY)
    chain.mine()
    with reverts("RequestIdReused(uint256)"):  # a retry that gets its own id back
        tp.retryOpen(78, {"from": buyer})
    assert tp.openRequest(78)[3] == PENDING


# ---------------------------------------------------------------- admin


def test_pause_blocks_sales_and_opens_not_fulfilment(
    tp, batch, admin, coordinator, minter, operator, buyer, stranger, new_ref, reverts
):
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    rid = request_id_of(tp.openPack(BATCH_ID, {"from": buyer}))
    with reverts("AccessControlUnauthorizedAccount"):
        tp.pause({"from": stranger})
    assert tp.pause({"from": admin}).events["Paused"]["account"] == admin
    assert tp.paused()
    with reverts("EnforcedPause()"):
        tp.pause({"from": admin})
    with reverts("EnforcedPause()"):
        tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    with reverts("EnforcedPause()"):
        mint_custodial(tp, minter, new_ref())
    with reverts("EnforcedPause()"):
        tp.openPack(BATCH_ID, {"from": buyer})
    with reverts("EnforcedPause()"):
        tp.openPackFor(USER, BATCH_ID, new_ref(), {"from": operator})
    with reverts("EnforcedPause()"):
        tp.retryOpen(rid, {"from": buyer})
    coordinator.fulfillRandomWords(rid, tp, {"from": buyer})  # fulfilment keeps working
    assert songs_of(tp, buyer) == 5
    tp.unpause({"from": admin})
    with reverts("ExpectedPause()"):
        tp.unpause({"from": admin})


def test_withdraw_proceeds(tp, batch, admin, buyer, treasury, stranger, new_ref, reverts):
    with reverts("NothingToWithdraw()"):
        tp.withdrawProceeds(treasury, {"from": admin})
    tp.buyPacks(BATCH_ID, 2, new_ref(), {"from": buyer, "value": 2 * PRICE})
    before = treasury.balance()
    with reverts("AccessControlUnauthorizedAccount"):
        tp.withdrawProceeds(stranger, {"from": stranger})
    with reverts("ZeroAddress()"):
        tp.withdrawProceeds(ZERO_ADDRESS, {"from": admin})
    tx = tp.withdrawProceeds(treasury, {"from": admin})
    assert tx.events["ProceedsWithdrawn"] == {"treasury": treasury, "amount": 2 * PRICE}
    assert treasury.balance() - before == 2 * PRICE


def test_royalty_cap(tp, admin, stranger, treasury, reverts):
    tp.setDefaultRoyalty(treasury, 1000, {"from": admin})
    assert plain(tp.royaltyInfo(5, 10_000)) == plain((treasury, 1000))
    with reverts("RoyaltyTooHigh(uint96)"):
        tp.setDefaultRoyalty(treasury, 1001, {"from": admin})
    with reverts("RoyaltyTooHigh(uint96)"):
        tp.setDefaultRoyalty(treasury, 10_000, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setDefaultRoyalty(stranger, 100, {"from": stranger})


def test_vrf_config_validation(tp, batch, admin, coordinator, buyer, stranger, new_ref, reverts):
    other = "0x" + "ab" * 32
    tx = tp.setVrfConfig(other, 5, 10, {"from": admin})
    assert tx.events["VrfConfigSet"] == {
        "keyHash": other,
        "subscriptionId": 5,
        "requestConfirmations": 10,
    }
    with reverts("InvalidKeyHash()"):
        tp.setVrfConfig("0x" + "00" * 32, 5, 10, {"from": admin})
    with reverts("InvalidSubscriptionId()"):
        tp.setVrfConfig(other, 0, 10, {"from": admin})
    for confirmations in (0, 2, 201):
        with reverts("InvalidRequestConfirmations(uint16)"):
            tp.setVrfConfig(other, 5, confirmations, {"from": admin})
    tp.setVrfConfig(other, 5, 200, {"from": admin})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setVrfConfig(other, 5, 10, {"from": stranger})
    for limit in (164_999, 2_500_001):
        with reverts("InvalidCallbackGasLimit(uint32)"):
            tp.setCallbackGasLimit(limit, {"from": admin})
    tp.setCallbackGasLimit(2_500_000, {"from": admin})
    assert plain(tp.vrfConfig()) == plain((other, 5, 200, 2_500_000))


def test_uri_freeze_and_token_uris(tp, admin, stranger, reverts):
    tx = tp.setURI("ipfs://base/{id}.json", {"from": admin})
    assert tx.events["BaseURISet"]["newUri"] == "ipfs://base/{id}.json"
    assert tp.uri(1) == "ipfs://base/{id}.json"
    assert (
        "ContractURIUpdated" in tp.setContractURI("ipfs://c/contract.json", {"from": admin}).events
    )
    assert tp.contractURI() == "ipfs://c/contract.json"

    tx = tp.setTokenURIs([1, 2], "ipfs://dirA/", {"from": admin})
    assert [(e["id"], e["value"]) for e in tx.events["URI"]] == [
        (1, "ipfs://dirA/{id}.json"),
        (2, "ipfs://dirA/{id}.json"),
    ]
    tx = tp.setTokenURIs([2, 3], "ipfs://dirB/", {"from": admin})  # 2 keeps dirA for good
    assert [e["id"] for e in tx.events["URI"]] == [3]
    assert (tp.uri(1), tp.uri(2), tp.uri(3)) == (
        "ipfs://dirA/{id}.json",
        "ipfs://dirA/{id}.json",
        "ipfs://dirB/{id}.json",
    )
    assert tp.uri(4) == "ipfs://base/{id}.json"
    with reverts("AccessControlUnauthorizedAccount"):
        tp.setTokenURIs([4], "ipfs://x/", {"from": stranger})
    with reverts("AccessControlUnauthorizedAccount"):
        tp.freezeURI({"from": stranger})

    assert "URIFrozen" in tp.freezeURI({"from": admin}).events
    assert tp.urisFrozen()
    for call in (
        lambda: tp.setURI("https://evil/{id}", {"from": admin}),
        lambda: tp.setContractURI("https://evil", {"from": admin}),
        lambda: tp.setTokenURIs([4], "https://evil/", {"from": admin}),
        lambda: tp.freezeURI({"from": admin}),
    ):
        with reverts("URIsFrozen()"):
            call()
    assert (tp.uri(1), tp.uri(4)) == ("ipfs://dirA/{id}.json", "ipfs://base/{id}.json")


def test_vrf_ownership_is_two_step(tp, deployer, governance, stranger, reverts):
    tp.transferOwnership(governance, {"from": deployer})
    assert tp.owner() == deployer  # nothing changes until governance accepts
    with reverts("Must be proposed owner"):
        tp.acceptOwnership({"from": stranger})
    tp.acceptOwnership({"from": governance})
    assert tp.owner() == governance
    for account in (deployer, stranger):
        with reverts("OnlyOwnerOrCoordinator(address,address,address)"):
            tp.setCoordinator(stranger, {"from": account})


def test_packs_are_transferable(tp, batch, buyer, stranger, new_ref):
    tp.buyPacks(BATCH_ID, 1, new_ref(), {"from": buyer, "value": PRICE})
    tp.safeTransferFrom(buyer, stranger, PACK, 1, b"", {"from": buyer})
    assert tp.balanceOf(stranger, PACK) == 1
    tp.openPack(BATCH_ID, {"from": stranger})


def test_brownie_is_on_the_local_chain():
    assert brownie.network.chain.id == 31337
