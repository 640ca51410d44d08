from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializer_fields import StrictIntegerField, Uint256StringField
from trackpacks import draw
from trackpacks.api import pack_state
from trackpacks.models import PACK_ID_OFFSET, Batch, Custody, Pack, PoolEntry, Song, Withdrawal


class SongSerializer(serializers.ModelSerializer[Song]):
    token_id = Uint256StringField(read_only=True, help_text="The song's ERC-1155 token id.")
    metadata_url = serializers.SerializerMethodField()

    class Meta:
        model = Song
        fields = [
            "id",
            "token_id",
            "title",
            "artist",
            "rarity",
            "description",
            "image_url",
            "audio_url",
            "metadata_url",
        ]
        read_only_fields = fields

    def get_metadata_url(self, song: Song) -> str:
        return f"/metadata/{song.token_id:064x}.json"


class PriceSerializer(serializers.Serializer[Any]):
    amount_cents = serializers.IntegerField()
    currency = serializers.CharField()
    amount_wei = Uint256StringField(help_text="Integer wei, as a decimal string.")


class PoolEntrySerializer(serializers.Serializer[Any]):
    song = SongSerializer()
    weight = serializers.IntegerField()
    probability = serializers.CharField(
        allow_null=True,
        help_text=(
            "Exact chance that this song is one of a pack's 5 different songs (weighted draw "
            "without replacement), as a decimal string rounded to 12 places; null for pools "
            "with more than 12 distinct weights."
        ),
    )


def pool_probabilities(weights: list[int]) -> list[str | None]:
    exact = draw.inclusion_probabilities(weights)
    if exact is None:
        return [None] * len(weights)
    return [draw.probability_text(p) for p in exact]


class BatchSerializer(serializers.ModelSerializer[Batch]):
    price = serializers.SerializerMethodField()
    remaining = serializers.IntegerField(source="available")
    pack_token_id = Uint256StringField(
        read_only=True, help_text="The batch's ERC-1155 pack token id."
    )
    on_chain = serializers.SerializerMethodField()
    pool = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        fields = [
            "id",
            "name",
            "description",
            "price",
            "supply",
            "remaining",
            "sale_open",
            "on_chain",
            "pack_token_id",
            "pool",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PriceSerializer)
    def get_price(self, batch: Batch) -> dict[str, Any]:
        return {
            "amount_cents": batch.price_cents,
            "currency": batch.currency,
            "amount_wei": str(batch.price_wei),
        }

    def get_on_chain(self, batch: Batch) -> bool:
        return batch.chain_status == "registered"

    @extend_schema_field(PoolEntrySerializer(many=True))
    def get_pool(self, batch: Batch) -> list[dict[str, Any]]:
        entries: list[PoolEntry] = list(batch.pool.all())
        chances = pool_probabilities([entry.weight for entry in entries])
        return [
            {
                "song": SongSerializer(entry.song).data,
                "weight": entry.weight,
                "probability": chance,
            }
            for entry, chance in zip(entries, chances, strict=True)
        ]


class BatchSummarySerializer(serializers.ModelSerializer[Batch]):
    class Meta:
        model = Batch
        fields = ["id", "name"]
        read_only_fields = fields


class WalletCallSerializer(serializers.Serializer[Any]):
    """A transaction for the fan's own wallet: `{to, data, value_wei, function}`."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "data" is the wallet's name for call data, but a reserved attribute on serializers.
        return {
            "to": serializers.CharField(help_text="Contract address."),
            "data": serializers.CharField(help_text="ABI-encoded call data (0x hex)."),
            "value_wei": Uint256StringField(help_text="Value to send, integer wei."),
            "function": serializers.CharField(),
        }


class OpenIntentSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(
        choices=["open", "retry"],
        help_text=(
            "`open`: the owner asked to open this self-custody pack and its wallet must send "
            "`openPack` before `expires_at`. `retry`: the opening is stuck (no randomness "
            "after the retry delay) and the wallet may send `retryOpen`."
        ),
    )
    wallet_call = WalletCallSerializer()
    expires_at = serializers.DateTimeField(allow_null=True)


class PackSerializer(serializers.ModelSerializer[Pack]):
    batch = BatchSummarySerializer()
    songs = serializers.SerializerMethodField(help_text="The 5 songs, once opened.")
    order = serializers.PrimaryKeyRelatedField[Any](read_only=True, allow_null=True)
    status = serializers.SerializerMethodField(
        help_text=(
            "`stuck`: the opening's randomness request has waited past the retry delay; the "
            "backend re-requests custodial packs, self-custody owners get `open_intent`."
        )
    )
    opening_id = serializers.SerializerMethodField(
        help_text="Once opening: see /api/v1/openings/{id}/proof/ after the reveal."
    )
    open_intent = serializers.SerializerMethodField(
        help_text="Self-custody packs: the call the owner's wallet is awaited for, if any."
    )

    class Meta:
        model = Pack
        fields = [
            "id",
            "batch",
            "order",
            "custody",
            "holder_address",
            "status",
            "opening_id",
            "open_intent",
            "songs",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=pack_state.API_PACK_STATUSES))
    def get_status(self, pack: Pack) -> str:
        opening = getattr(pack, "opening", None)
        return pack_state.api_status(
            status=pack.status,
            requested_at=opening.requested_at if opening else None,
            revealed_at=opening.revealed_at if opening else None,
        )

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_opening_id(self, pack: Pack) -> int | None:
        opening = getattr(pack, "opening", None)
        return opening.pk if opening else None

    @extend_schema_field(OpenIntentSerializer(allow_null=True))
    def get_open_intent(self, pack: Pack) -> dict[str, Any] | None:
        opening = getattr(pack, "opening", None)
        intent = pack_state.open_intent(
            custody=pack.custody,
            status=pack.status,
            batch_id=pack.batch_id,
            intent_expires_at=pack.open_intent_expires_at,
            request_id=opening.request_id if opening else None,
            requested_at=opening.requested_at if opening else None,
            revealed_at=opening.revealed_at if opening else None,
        )
        return OpenIntentSerializer(intent).data if intent else None

    @extend_schema_field(SongSerializer(many=True))
    def get_songs(self, pack: Pack) -> list[dict[str, Any]]:
        opening = getattr(pack, "opening", None)
        if opening is None or opening.revealed_at is None:
            return []
        return [SongSerializer(revealed.song).data for revealed in opening.revealed.all()]


class PackOpenSerializer(serializers.Serializer[Any]):
    pack = PackSerializer()
    wallet_call = WalletCallSerializer(
        allow_null=True,
        help_text="Self-custody packs: the transaction the owner's wallet must send to open it.",
    )


class CollectionItemSerializer(serializers.Serializer[Any]):
    song = SongSerializer()
    token_id = Uint256StringField()
    balance = serializers.IntegerField(help_text="How many of this token the address holds.")
    custody = serializers.ChoiceField(choices=Custody.choices)
    address = serializers.CharField()


class WithdrawInputSerializer(serializers.Serializer[Any]):
    token_id = Uint256StringField(min_value=1, max_value=PACK_ID_OFFSET - 1)
    amount = StrictIntegerField(min_value=1, max_value=1_000_000)


class WithdrawalSerializer(serializers.ModelSerializer[Withdrawal]):
    token_id = Uint256StringField(source="song.token_id", read_only=True)

    class Meta:
        model = Withdrawal
        fields = [
            "id",
            "token_id",
            "amount",
            "from_address",
            "to_address",
            "status",
            "tx_hash",
            "failure_reason",
            "created_at",
        ]
        read_only_fields = fields


class PoolWeightSerializer(serializers.Serializer[Any]):
    token_id = Uint256StringField()
    weight = serializers.IntegerField()


class OpenRetrySerializer(serializers.Serializer[Any]):
    old_request_id = Uint256StringField()
    new_request_id = Uint256StringField()
    tx_hash = serializers.CharField()


class OpeningProofSerializer(serializers.Serializer[Any]):
    """Everything needed to check an opening by hand: the draw is a pure function of the
    random word and the pool (README, "Verify an opening")."""

    opening_id = serializers.IntegerField()
    pack_id = serializers.IntegerField()
    batch_id = serializers.IntegerField()
    chain_id = serializers.IntegerField()
    contract_address = serializers.CharField(allow_null=True)
    request_id = Uint256StringField(help_text="VRF request id.")
    random_word = Uint256StringField(help_text="The VRF word.")
    pool = PoolWeightSerializer(many=True, help_text="In on-chain pool order (the draw's order).")
    total_weight = serializers.IntegerField()
    requested_tx_hash = serializers.CharField()
    fulfilled_tx_hash = serializers.CharField()
    retries = OpenRetrySerializer(many=True)
    revealed = serializers.ListField(
        child=Uint256StringField(), help_text="Token ids of the songs shown."
    )
    recomputed = serializers.ListField(
        child=Uint256StringField(), help_text="The draw recomputed from word and pool."
    )
    matches = serializers.BooleanField()
    method = serializers.CharField()
