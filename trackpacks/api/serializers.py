from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializer_fields import StrictIntegerField
from trackpacks.models import Batch, Pack, Song, Withdrawal


class SongSerializer(serializers.ModelSerializer[Song]):
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
    amount_wei = serializers.CharField(help_text="Integer wei, as a decimal string.")


class PoolEntrySerializer(serializers.Serializer[Any]):
    song = SongSerializer()
    weight = serializers.IntegerField()


class BatchSerializer(serializers.ModelSerializer[Batch]):
    price = serializers.SerializerMethodField()
    remaining = serializers.IntegerField(source="available")
    pack_token_id = serializers.SerializerMethodField()
    on_chain = serializers.SerializerMethodField()
    pool = PoolEntrySerializer(many=True)

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

    def get_pack_token_id(self, batch: Batch) -> str:
        return str(batch.pack_token_id)

    def get_on_chain(self, batch: Batch) -> bool:
        return batch.chain_status == "registered"


class BatchSummarySerializer(serializers.ModelSerializer[Batch]):
    class Meta:
        model = Batch
        fields = ["id", "name"]
        read_only_fields = fields


class PackSerializer(serializers.ModelSerializer[Pack]):
    batch = BatchSummarySerializer()
    songs = serializers.SerializerMethodField(help_text="The 5 songs, once opened.")
    order = serializers.PrimaryKeyRelatedField[Any](read_only=True, allow_null=True)

    class Meta:
        model = Pack
        fields = [
            "id",
            "batch",
            "order",
            "custody",
            "holder_address",
            "status",
            "songs",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SongSerializer(many=True))
    def get_songs(self, pack: Pack) -> list[dict[str, Any]]:
        opening = getattr(pack, "opening", None)
        if opening is None or opening.revealed_at is None:
            return []
        return [SongSerializer(revealed.song).data for revealed in opening.revealed.all()]


class WalletCallSerializer(serializers.Serializer[Any]):
    """A transaction for the fan's own wallet: `{to, data, value_wei, function}`."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "data" is the wallet's name for call data, but a reserved attribute on serializers.
        return {
            "to": serializers.CharField(help_text="Contract address."),
            "data": serializers.CharField(help_text="ABI-encoded call data (0x hex)."),
            "value_wei": serializers.CharField(),
            "function": serializers.CharField(),
        }


class PackOpenSerializer(serializers.Serializer[Any]):
    pack = PackSerializer()
    wallet_call = WalletCallSerializer(
        allow_null=True,
        help_text="Self-custody packs: the transaction the owner's wallet must send to open it.",
    )


class CollectionItemSerializer(serializers.Serializer[Any]):
    song = SongSerializer()
    token_id = serializers.IntegerField()
    balance = serializers.IntegerField()
    custody = serializers.ChoiceField(choices=["custodial", "self"])
    address = serializers.CharField()


class WithdrawInputSerializer(serializers.Serializer[Any]):
    token_id = StrictIntegerField(min_value=1, max_value=2**63 - 1)
    amount = StrictIntegerField(min_value=1, max_value=1_000_000)


class WithdrawalSerializer(serializers.ModelSerializer[Withdrawal]):
    token_id = serializers.IntegerField(source="song.token_id")

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
