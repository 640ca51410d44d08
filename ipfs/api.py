"""Staff endpoints: upload a song's media, freeze a batch. Thin views over trackpacks.freeze."""

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.schema import ErrorSerializer, error_response
from trackpacks.freeze import batch_freeze, song_media_set
from trackpacks.models import Batch, Song


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


class SongMediaInputSerializer(serializers.Serializer[Any]):
    image = serializers.FileField(required=False, help_text="PNG, JPEG, GIF, WebP or SVG.")
    audio = serializers.FileField(required=False, help_text="WAV, MP3, OGG, FLAC or M4A.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send an image, an audio file or both.")
        return attrs


class SongMediaSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    token_id = serializers.CharField(help_text="uint256 as a decimal string.")
    image_cid = serializers.CharField()
    image_type = serializers.CharField()
    audio_cid = serializers.CharField()
    audio_type = serializers.CharField()
    frozen = serializers.BooleanField(help_text="Media and metadata can no longer change.")
    metadata_cid = serializers.CharField(help_text="The frozen metadata document ('' before).")


def _song_media(song: Song) -> dict[str, Any]:
    return {
        "id": song.pk,
        "token_id": str(song.token_id),
        "image_cid": song.image_cid,
        "image_type": song.image_type,
        "audio_cid": song.audio_cid,
        "audio_type": song.audio_type,
        "frozen": song.frozen_by_id is not None,
        "metadata_cid": song.metadata_cid,
    }


class SongMediaView(APIView):
    permission_classes = [permissions.IsAdminUser]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="songs_media_update",
        tags=["ipfs"],
        request={"multipart/form-data": SongMediaInputSerializer},
        responses={
            200: SongMediaSerializer,
            409: error_response(409),
            413: _error("The file is larger than the configured limit."),
        },
    )
    def put(self, request: Request, song_id: int) -> Response:
        data = SongMediaInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        song = song_media_set(song_id=song_id, **data.validated_data)
        return Response(SongMediaSerializer(_song_media(song)).data)


class BatchFreezeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    metadata_cid = serializers.CharField(help_text="The directory of `{id}.json` documents.")
    base_uri = serializers.CharField(help_text="The tokens' base URI on chain.")
    frozen_at = serializers.DateTimeField()


class BatchFreezeView(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        operation_id="batches_freeze",
        tags=["ipfs"],
        request=None,
        responses={
            200: BatchFreezeSerializer,
            409: error_response(409),
            422: error_response(422),
            503: _error("Pinning failed or the chain is not configured; nothing was frozen."),
        },
    )
    def post(self, request: Request, batch_id: int) -> Response:
        batch: Batch = batch_freeze(batch_id=batch_id)
        body = {
            "id": batch.pk,
            "metadata_cid": batch.metadata_cid,
            "base_uri": f"ipfs://{batch.metadata_cid}/",
            "frozen_at": batch.frozen_at,
        }
        return Response(BatchFreezeSerializer(body).data)


urlpatterns = [
    path("songs/<int:song_id>/media/", SongMediaView.as_view(), name="song-media"),
    path("batches/<int:batch_id>/freeze/", BatchFreezeView.as_view(), name="batch-freeze"),
]
