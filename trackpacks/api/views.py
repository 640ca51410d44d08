import re
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from core.auth import request_user
from core.schema import error_response
from trackpacks import selectors, services
from trackpacks.api import representations
from trackpacks.api import serializers as s
from trackpacks.api.pagination import LookaheadCountPagination
from trackpacks.filters import BatchFilter, PackFilter, SongFilter, StrictOrderingFilter
from trackpacks.metadata import token_metadata
from trackpacks.models import Pack, Withdrawal
from trackpacks.verification import opening_proof


class PublicReadViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    lookup_value_regex = "[0-9]+"


def _paginated_rows(
    view: viewsets.GenericViewSet,  # type: ignore[type-arg]
    rows: Any,
    represent: Callable[[list[Any]], Sequence[dict[str, Any]]],
) -> Response:
    """A list response from `.values()` rows: the same pagination and body as the stock
    ListModelMixin, without model instances or a serializer per row (the schema still comes
    from `serializer_class`; representations.py mirrors it). The views that use it
    paginate with LookaheadCountPagination: no COUNT query on a last page."""
    page = view.paginate_queryset(view.filter_queryset(rows))
    assert page is not None  # noqa: S101  (pagination is always on: DEFAULT_PAGINATION_CLASS)
    return view.get_paginated_response(represent(page))


@extend_schema_view(
    list=extend_schema(operation_id="songs_list", tags=["catalog"]),
    retrieve=extend_schema(operation_id="songs_retrieve", tags=["catalog"]),
)
class SongViewSet(PublicReadViewSet):
    serializer_class = s.SongSerializer
    pagination_class = LookaheadCountPagination
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = SongFilter
    ordering_fields = ["token_id", "title", "artist", "rarity"]

    def get_queryset(self) -> Any:
        return selectors.song_list()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _paginated_rows(self, selectors.song_rows(), representations.songs_data)


@extend_schema_view(
    list=extend_schema(operation_id="batches_list", tags=["catalog"]),
    retrieve=extend_schema(operation_id="batches_retrieve", tags=["catalog"]),
)
class BatchViewSet(PublicReadViewSet):
    serializer_class = s.BatchSerializer
    pagination_class = LookaheadCountPagination
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = BatchFilter
    ordering_fields = ["created_at", "price_cents", "available"]

    def get_queryset(self) -> Any:
        return selectors.batch_list()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _paginated_rows(self, selectors.batch_rows(), representations.batches_data)


@extend_schema_view(
    list=extend_schema(operation_id="packs_list", tags=["packs"]),
    retrieve=extend_schema(operation_id="packs_retrieve", tags=["packs"]),
)
class PackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = s.PackSerializer
    pagination_class = LookaheadCountPagination
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = PackFilter
    ordering_fields = ["created_at", "id"]
    queryset = Pack.objects.none()  # typed path parameter in the schema; see get_queryset
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.pack_list(user=request_user(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = selectors.pack_rows(user=request_user(request))
        return _paginated_rows(self, rows, representations.packs_data)

    def get_throttles(self) -> Any:
        if self.action == "open":
            return [PackOpenThrottle()]
        return super().get_throttles()

    @extend_schema(
        operation_id="packs_open",
        tags=["packs"],
        request=None,
        responses={202: s.PackOpenSerializer, 409: error_response(409)},
    )
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: str) -> Response:
        result = services.pack_open(user=request_user(request), pack_id=int(pk))
        pack = self.get_queryset().get(pk=result.pack.pk)
        body = {"pack": pack, "wallet_call": result.wallet_call}
        return Response(s.PackOpenSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class PackOpenThrottle(UserRateThrottle):
    scope = "pack_open"


class CollectionView(GenericAPIView):  # type: ignore[type-arg]
    """Paginated like every other list (`{count, next, previous, results}`)."""

    serializer_class = s.CollectionItemSerializer

    @extend_schema(
        operation_id="collection_list",
        tags=["collection"],
        responses={200: s.CollectionItemSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        items = selectors.collection_for(user=request_user(request))
        page = self.paginate_queryset(items)  # type: ignore[arg-type]
        assert page is not None  # noqa: S101  (pagination is always on: DEFAULT_PAGINATION_CLASS)
        return self.get_paginated_response(s.CollectionItemSerializer(page, many=True).data)


_TOKEN_ID_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


def metadata_view(request: HttpRequest, token_hex: str) -> JsonResponse:
    """ERC-1155 metadata (`uri` with `{id}` as 64 hex characters), public and cacheable."""
    if not _TOKEN_ID_HEX.match(token_hex):
        raise Http404
    subject = selectors.token_metadata_subject(token_id=int(token_hex, 16))
    if subject is None:
        raise Http404
    response = JsonResponse(token_metadata(subject, request))
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


class WithdrawView(APIView):
    @extend_schema(
        operation_id="collection_withdraw",
        tags=["collection"],
        request=s.WithdrawInputSerializer,
        responses={202: s.WithdrawalSerializer, 422: error_response(422)},
    )
    def post(self, request: Request) -> Response:
        data = s.WithdrawInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = services.withdrawal_create(user=request_user(request), **data.validated_data)
        return Response(s.WithdrawalSerializer(withdrawal).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(operation_id="withdrawals_list", tags=["collection"]),
    retrieve=extend_schema(operation_id="withdrawals_retrieve", tags=["collection"]),
)
class WithdrawalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = s.WithdrawalSerializer
    queryset = Withdrawal.objects.none()  # typed path parameter in the schema; see get_queryset
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.withdrawal_list(user=request_user(self.request))


DRAW_METHOD = (
    "for i in 0..4: x = uint256(keccak256(abi.encode(random_word, i))) % remaining weight; walk "
    "the pool in order skipping songs already drawn, subtracting each weight from x until "
    "x < weight: that song is drawn and its weight leaves the remaining weight."
)


class OpeningProofView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="openings_proof",
        tags=["packs"],
        responses={
            200: s.OpeningProofSerializer,
            404: error_response(404),
            409: error_response(409),
        },
    )
    def get(self, request: Request, opening_id: int) -> Response:
        from chain.client import read_deployment

        proof = opening_proof(opening_id=opening_id)
        deployment = read_deployment()
        body = {
            "opening_id": proof.opening_id,
            "pack_id": proof.pack_id,
            "batch_id": proof.batch_id,
            "chain_id": settings.CHAIN_ID,
            "contract_address": deployment.trackpacks.address if deployment else None,
            "request_id": str(proof.request_id),
            "random_word": str(proof.random_word),
            "pool": [
                {"token_id": token_id, "weight": weight}
                for token_id, weight in zip(proof.pool_song_ids, proof.pool_weights, strict=True)
            ],
            "total_weight": sum(proof.pool_weights),
            "requested_tx_hash": proof.requested_tx_hash,
            "fulfilled_tx_hash": proof.fulfilled_tx_hash,
            "retries": proof.retries,
            "revealed": proof.revealed,
            "recomputed": proof.recomputed,
            "matches": proof.matches,
            "method": DRAW_METHOD,
        }
        return Response(s.OpeningProofSerializer(body).data)
