def test_smoke(tp, batch, buyer, new_ref, reverts, coordinator):
    tx = tp.buyPacks(batch, 1, new_ref(), {"from": buyer, "value": 10**16})
    print(tx.gas_used)
    try:
        tp.buyPacks(batch, 1, new_ref(), {"from": buyer, "value": 1})
    except Exception as e:
        print(type(e), repr(e.revert_msg), getattr(e, "revert_type", None), str(e)[:300])
    tx = tp.openPack(batch, {"from": buyer})
    print("open", tx.gas_used)
    rid = tx.events["PackOpenRequested"]["requestId"]
    tx = coordinator.fulfillRandomWords(rid, tp, {"from": buyer})
    print(tx.events)
