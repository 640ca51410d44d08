// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {VRFConsumerBaseV2Plus} from "@chainlink/contracts/src/v0.8/vrf/dev/VRFConsumerBaseV2Plus.sol";
import {VRFV2PlusClient} from "@chainlink/contracts/src/v0.8/vrf/dev/libraries/VRFV2PlusClient.sol";

/// @title TrackPacks — musical NFT trackpacks opened with Chainlink VRF v2.5
/// @notice One ERC-1155 contract holds both the song NFTs and the sealed pack tokens.
///         A label admin registers songs and creates batches of packs; fans buy packs with
///         native currency (`buyPacks`) or the platform's card-sales signer mints them into a
///         custodial wallet (`mintPacks`). Opening a pack burns it and asks the VRF coordinator
///         for one random word; the callback turns that word into 5 songs drawn from the batch's
///         weighted pool and mints them to the holder.
/// @dev Token id space (disjoint by construction):
///      - song token ids are `< 2**128` (enforced by `registerSong`);
///      - the pack token of batch `b` is `PACK_ID_OFFSET + b = 2**128 + b`, with `b < 2**96`.
///      Roles: DEFAULT_ADMIN_ROLE (catalog, batches, VRF settings, royalties, URI, pause,
///      proceeds), MINTER_ROLE (card-sales backend signer), OPERATOR_ROLE (acts for custodial
///      holders). Chainlink's `ConfirmedOwner` (inherited through `VRFConsumerBaseV2Plus`) is
///      used only for the coordinator migration hook `setCoordinator`.
contract TrackPacks is ERC1155, ERC2981, AccessControl, Pausable, ReentrancyGuardTransient, VRFConsumerBaseV2Plus {
    // ------------------------------------------------------------------ constants

    /// @notice Role allowed to mint packs for card (custodial) sales.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    /// @notice Role allowed to open packs and withdraw songs on behalf of custodial holders.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @notice Pack token id of batch `b` is `PACK_ID_OFFSET + b`; song ids are below it.
    uint256 public constant PACK_ID_OFFSET = 1 << 128;
    /// @notice Largest batch id accepted (batch ids share a storage slot with an address).
    uint256 public constant MAX_BATCH_ID = type(uint96).max;
    /// @notice Maximum number of songs in one batch pool; bounds the VRF callback's gas.
    uint256 public constant MAX_POOL_SIZE = 64;
    /// @notice Number of songs revealed by one pack.
    uint256 public constant SONGS_PER_PACK = 5;
    /// @notice Gas the callback is designed to stay under; the callback gas limit may not go below it.
    uint32 public constant CALLBACK_GAS_BUDGET = 200_000;

    // ------------------------------------------------------------------ storage

    struct Batch {
        // slot 0
        uint128 price; // wei per pack, > 0
        uint64 supply; // packs that may ever be minted
        uint64 minted; // packs minted so far (both paths)
        // slot 1
        uint32 totalWeight; // sum of pool weights, < 2**32
        uint8 poolSize; // 1..MAX_POOL_SIZE
        bool exists;
        bool saleOpen; // gates buyPacks only
    }

    struct Song {
        bool registered;
        uint8 tier;
    }

    struct OpenRequest {
        address holder;
        uint96 batchId;
    }

    mapping(uint256 tokenId => Song) private _songs;
    mapping(uint256 batchId => Batch) private _batches;
    /// @dev Pool song ids in draw order.
    mapping(uint256 batchId => uint256[]) private _poolSongs;
    /// @dev Running (cumulative) weights, 8 little-endian uint32 lanes per word.
    mapping(uint256 batchId => uint256[8]) private _poolCumulative;
    mapping(bytes32 orderRef => bool) private _orderRefUsed;
    mapping(address holder => bool) private _custodial;
    mapping(uint256 requestId => OpenRequest) private _requests;

    bytes32 private _keyHash;
    uint256 private _subscriptionId;
    uint16 private _requestConfirmations;
    uint32 private _callbackGasLimit;

    // ------------------------------------------------------------------ events

    event SongRegistered(uint256 indexed tokenId, uint8 tier);
    event BatchCreated(
        uint256 indexed batchId,
        uint256 indexed packTokenId,
        uint256 price,
        uint256 supply,
        bool saleOpen,
        uint256[] songIds,
        uint256[] weights
    );
    event BatchSaleSet(uint256 indexed batchId, bool saleOpen);
    event BatchPriceSet(uint256 indexed batchId, uint256 price);
    event PacksPurchased(
        address indexed buyer, uint256 indexed batchId, bytes32 indexed orderRef, uint256 quantity, uint256 paid
    );
    event PacksMinted(address indexed to, uint256 indexed batchId, bytes32 indexed orderRef, uint256 quantity);
    event CustodialSet(address indexed holder, bool custodial);
    event PackOpenRequested(uint256 indexed requestId, address indexed holder, uint256 indexed batchId);
    event PackOpened(uint256 indexed requestId, address indexed holder, uint256 indexed batchId, uint256[5] songIds);
    event CustodialWithdrawal(
        address indexed holder, address indexed to, uint256 indexed tokenId, uint256 amount, address operator
    );
    event ProceedsWithdrawn(address indexed treasury, uint256 amount);
    event VrfConfigSet(bytes32 keyHash, uint256 subscriptionId, uint16 requestConfirmations);
    event CallbackGasLimitSet(uint32 callbackGasLimit);
    event BaseURISet(string newUri);
    event DefaultRoyaltySet(address indexed receiver, uint96 feeNumerator);

    // ------------------------------------------------------------------ errors

    error SongIdOutOfRange(uint256 tokenId);
    error SongAlreadyRegistered(uint256 tokenId);
    error SongNotRegistered(uint256 tokenId);
    error BatchIdOutOfRange(uint256 batchId);
    error BatchAlreadyExists(uint256 batchId);
    error UnknownBatch(uint256 batchId);
    error InvalidPrice(uint256 price);
    error InvalidSupply(uint256 supply);
    error InvalidPoolSize(uint256 size);
    error LengthMismatch();
    error ZeroWeight(uint256 songId);
    error DuplicateSong(uint256 songId);
    error TotalWeightTooLarge(uint256 totalWeight);
    error SaleClosed(uint256 batchId);
    error ZeroQuantity();
    error InsufficientSupply(uint256 batchId, uint256 requested, uint256 remaining);
    error WrongPayment(uint256 expected, uint256 sent);
    error ZeroOrderRef();
    error OrderRefAlreadyUsed(bytes32 orderRef);
    error NoPackToOpen(address holder, uint256 batchId);
    error NotCustodial(address holder);
    error NotASongToken(uint256 tokenId);
    error NothingToWithdraw();
    error ProceedsTransferFailed();
    error CallbackGasLimitTooLow(uint32 callbackGasLimit);

    // ------------------------------------------------------------------ construction

    /// @param vrfCoordinator VRF v2.5 coordinator (or `VRFCoordinatorV2_5Mock` locally).
    /// @param keyHash VRF gas lane key hash.
    /// @param subscriptionId VRF v2.5 subscription id that pays for requests.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param baseUri ERC-1155 metadata URI containing the `{id}` placeholder.
    /// @param royaltyReceiver Default ERC-2981 royalty receiver.
    /// @param royaltyBps Default royalty in basis points (≤ 10000).
    constructor(
        address vrfCoordinator,
        bytes32 keyHash,
        uint256 subscriptionId,
        address admin,
        string memory baseUri,
        address royaltyReceiver,
        uint96 royaltyBps
    ) ERC1155(baseUri) VRFConsumerBaseV2Plus(vrfCoordinator) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setVrfConfig(keyHash, subscriptionId, 3);
        _callbackGasLimit = 250_000;
        emit CallbackGasLimitSet(250_000);
        _setDefaultRoyalty(royaltyReceiver, royaltyBps);
        emit DefaultRoyaltySet(royaltyReceiver, royaltyBps);
        emit BaseURISet(baseUri);
    }

    // ------------------------------------------------------------------ catalog (admin)

    /// @notice Registers a song token id with its rarity tier. Song ids must be `< 2**128`.
    /// @param tokenId ERC-1155 id of the song NFT.
    /// @param tier Rarity tier (informational on chain; pools carry their own weights).
    function registerSong(uint256 tokenId, uint8 tier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _registerSong(tokenId, tier);
    }

    /// @notice Registers several songs at once (see `registerSong`).
    /// @param tokenIds Song token ids, each `< 2**128` and not yet registered.
    /// @param tiers Rarity tier of each song, same length as `tokenIds`.
    function registerSongs(uint256[] calldata tokenIds, uint8[] calldata tiers) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (tokenIds.length != tiers.length) revert LengthMismatch();
        for (uint256 i = 0; i < tokenIds.length; ++i) {
            _registerSong(tokenIds[i], tiers[i]);
        }
    }

    /// @notice Creates a batch of packs. The pool and its weights are fixed forever, so an
    ///         outcome can only depend on the VRF word.
    /// @param batchId Caller-chosen id (the backend's database id), `< 2**96`, unused.
    /// @param price Price of one pack in wei (> 0, < 2**128).
    /// @param supply Number of packs that may ever be minted across both sale paths (> 0, < 2**64).
    /// @param saleOpen Whether `buyPacks` is open immediately.
    /// @param songIds Registered, distinct song ids (1..MAX_POOL_SIZE of them).
    /// @param weights Positive relative weight of each song; their sum must be `< 2**32`.
    ///        A song is drawn with probability `weight / sum(weights)`.
    function createBatch(
        uint256 batchId,
        uint256 price,
        uint256 supply,
        bool saleOpen,
        uint256[] calldata songIds,
        uint256[] calldata weights
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (batchId > MAX_BATCH_ID) revert BatchIdOutOfRange(batchId);
        if (_batches[batchId].exists) revert BatchAlreadyExists(batchId);
        if (price == 0 || price > type(uint128).max) revert InvalidPrice(price);
        if (supply == 0 || supply > type(uint64).max) revert InvalidSupply(supply);
        uint256 n = songIds.length;
        (uint256[8] memory packed, uint256 total) = _packPool(songIds, weights);

        _batches[batchId] = Batch({
            price: uint128(price),
            supply: uint64(supply),
            minted: 0,
            totalWeight: uint32(total),
            poolSize: uint8(n),
            exists: true,
            saleOpen: saleOpen
        });
        _poolSongs[batchId] = songIds;
        uint256[8] storage stored = _poolCumulative[batchId];
        for (uint256 w = 0; w < (n + 7) >> 3; ++w) {
            stored[w] = packed[w];
        }
        emit BatchCreated(batchId, PACK_ID_OFFSET + batchId, price, supply, saleOpen, songIds, weights);
    }

    /// @notice Opens or closes the crypto sale (`buyPacks`) of a batch. Card mints are not gated
    ///         by this flag so that payments taken just before closing can still be fulfilled.
    /// @param batchId Existing batch.
    /// @param saleOpen New state of the sale.
    function setSaleOpen(uint256 batchId, bool saleOpen) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _existingBatch(batchId).saleOpen = saleOpen;
        emit BatchSaleSet(batchId, saleOpen);
    }

    /// @notice Changes the wei price of one pack of a batch.
    /// @param batchId Existing batch.
    /// @param price New price in wei (> 0, < 2**128).
    function setBatchPrice(uint256 batchId, uint256 price) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (price == 0 || price > type(uint128).max) revert InvalidPrice(price);
        _existingBatch(batchId).price = uint128(price);
        emit BatchPriceSet(batchId, price);
    }

    // ------------------------------------------------------------------ sales

    /// @notice Buys `quantity` packs of a batch, paying exactly `price * quantity` wei.
    /// @param batchId Batch to buy from (sale must be open).
    /// @param quantity Number of packs (> 0, ≤ remaining supply).
    /// @param orderRef Backend order reference (non-zero, never used before on either path).
    function buyPacks(uint256 batchId, uint256 quantity, bytes32 orderRef) external payable whenNotPaused nonReentrant {
        Batch storage b = _existingBatch(batchId);
        if (!b.saleOpen) revert SaleClosed(batchId);
        uint256 expected = uint256(b.price) * _takeSupply(b, batchId, quantity);
        if (msg.value != expected) revert WrongPayment(expected, msg.value);
        _useOrderRef(orderRef);
        emit PacksPurchased(msg.sender, batchId, orderRef, quantity, msg.value);
        _mint(msg.sender, PACK_ID_OFFSET + batchId, quantity, "");
    }

    /// @notice Mints packs paid off-chain (card) to a custodial wallet; marks it custodial.
    /// @param to Custodial wallet receiving the packs.
    /// @param batchId Batch to mint from.
    /// @param quantity Number of packs (> 0, ≤ remaining supply).
    /// @param orderRef Backend order reference (non-zero, never used before on either path).
    function mintPacks(address to, uint256 batchId, uint256 quantity, bytes32 orderRef)
        external
        onlyRole(MINTER_ROLE)
        whenNotPaused
        nonReentrant
    {
        if (to == address(0)) revert ZeroAddress();
        Batch storage b = _existingBatch(batchId);
        _takeSupply(b, batchId, quantity);
        _useOrderRef(orderRef);
        if (!_custodial[to]) {
            _custodial[to] = true;
            emit CustodialSet(to, true);
        }
        emit PacksMinted(to, batchId, orderRef, quantity);
        _mint(to, PACK_ID_OFFSET + batchId, quantity, "");
    }

    // ------------------------------------------------------------------ opening

    /// @notice Burns one of the caller's packs of `batchId` and requests randomness for it.
    ///         The opening can be neither cancelled nor re-rolled.
    /// @param batchId Batch of the pack to open.
    /// @return requestId VRF request id; `PackOpened` with the same id reveals the songs.
    function openPack(uint256 batchId) external whenNotPaused nonReentrant returns (uint256 requestId) {
        return _openPack(msg.sender, batchId);
    }

    /// @notice Opens a pack held by a custodial wallet on its owner's behalf.
    /// @param holder Custodial wallet holding the pack (`isCustodial(holder)` must be true).
    /// @param batchId Batch of the pack to open.
    /// @return requestId VRF request id.
    function openPackFor(address holder, uint256 batchId)
        external
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
        nonReentrant
        returns (uint256 requestId)
    {
        if (!_custodial[holder]) revert NotCustodial(holder);
        return _openPack(holder, batchId);
    }

    /// @notice VRF v2.5 callback: reveals and mints the 5 songs of an opened pack.
    /// @dev Never reverts. Unknown or already fulfilled request ids are ignored. Draw method:
    ///      for i in 0..4, `r_i = uint256(keccak256(abi.encode(word, i)))` (word = randomWords[0]),
    ///      `x_i = r_i % totalWeight`, and the song drawn is the first pool entry whose running
    ///      weight sum exceeds `x_i` (binary search over at most 64 entries). Since `r_i` is a
    ///      uniform 256-bit value and `totalWeight < 2**32`, the modulo bias is below 2**-224.
    ///      Songs are minted with `_update` (no receiver hook), so a holder contract that rejects
    ///      ERC-1155 transfers still receives them and cannot make the callback fail.
    function fulfillRandomWords(uint256 requestId, uint256[] calldata randomWords) internal override {
        OpenRequest memory req = _requests[requestId];
        if (req.holder == address(0) || randomWords.length == 0) return;
        delete _requests[requestId];

        (bool ok, uint256[5] memory songIds) = _drawSongs(req.batchId, randomWords[0]);
        if (!ok) return; // unreachable: packs exist only for batches with a valid pool

        uint256[] memory ids = new uint256[](SONGS_PER_PACK);
        uint256[] memory values = new uint256[](SONGS_PER_PACK);
        for (uint256 i = 0; i < SONGS_PER_PACK; ++i) {
            ids[i] = songIds[i];
            values[i] = 1;
        }
        _update(address(0), req.holder, ids, values);
        emit PackOpened(requestId, req.holder, req.batchId, songIds);
    }

    /// @dev Draws 5 songs from the weighted pool of `batchId` (method documented on
    ///      `fulfillRandomWords`). Reads at most 8 + 5 pool slots; never reverts.
    function _drawSongs(uint256 batchId, uint256 word) private view returns (bool ok, uint256[5] memory songIds) {
        Batch storage b = _batches[batchId];
        uint256 total = b.totalWeight;
        uint256 n = b.poolSize;
        if (total == 0 || n == 0) return (false, songIds);

        uint256[8] memory cumulative;
        uint256[8] storage stored = _poolCumulative[batchId];
        for (uint256 w = 0; w < (n + 7) >> 3; ++w) {
            cumulative[w] = stored[w];
        }
        uint256[] storage pool = _poolSongs[batchId];
        for (uint256 i = 0; i < SONGS_PER_PACK; ++i) {
            uint256 x = uint256(keccak256(abi.encode(word, i))) % total;
            uint256 lo = 0;
            uint256 hi = n - 1;
            while (lo < hi) {
                uint256 mid = (lo + hi) >> 1;
                if (uint32(cumulative[mid >> 3] >> ((mid & 7) * 32)) > x) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            songIds[i] = pool[lo];
        }
        return (true, songIds);
    }

    // ------------------------------------------------------------------ custody

    /// @notice Moves song NFTs out of a custodial wallet to the user's own wallet.
    ///         Uses the safe transfer path, so `to`'s ERC-1155 receiver hook runs.
    /// @param holder Custodial wallet (`isCustodial(holder)` must be true).
    /// @param to Destination wallet.
    /// @param tokenId Song token id (`< 2**128`; packs cannot be withdrawn this way).
    /// @param amount Number of copies (> 0, ≤ holder's balance).
    function withdrawFor(address holder, address to, uint256 tokenId, uint256 amount)
        external
        onlyRole(OPERATOR_ROLE)
        nonReentrant
    {
        if (!_custodial[holder]) revert NotCustodial(holder);
        if (tokenId >= PACK_ID_OFFSET) revert NotASongToken(tokenId);
        if (amount == 0) revert ZeroQuantity();
        emit CustodialWithdrawal(holder, to, tokenId, amount, msg.sender);
        _safeTransferFrom(holder, to, tokenId, amount, "");
    }

    /// @notice Sets or clears the custodial flag of a wallet (e.g. to correct a mistaken mint).
    /// @param holder Wallet address.
    /// @param custodial New flag.
    function setCustodial(address holder, bool custodial) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (holder == address(0)) revert ZeroAddress();
        _custodial[holder] = custodial;
        emit CustodialSet(holder, custodial);
    }

    // ------------------------------------------------------------------ admin

    /// @notice Sends all collected sale proceeds to `treasury`.
    /// @param treasury Recipient of the contract's whole native balance.
    function withdrawProceeds(address payable treasury) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (treasury == address(0)) revert ZeroAddress();
        uint256 amount = address(this).balance;
        if (amount == 0) revert NothingToWithdraw();
        emit ProceedsWithdrawn(treasury, amount);
        (bool ok,) = treasury.call{value: amount}("");
        if (!ok) revert ProceedsTransferFailed();
    }

    /// @notice Pauses purchases, mints and openings (VRF fulfilment keeps working).
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @notice Lifts the pause.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @notice Sets the VRF key hash, subscription id and request confirmations.
    /// @param keyHash Gas lane key hash.
    /// @param subscriptionId VRF v2.5 subscription id.
    /// @param requestConfirmations Block confirmations before fulfilment.
    function setVrfConfig(bytes32 keyHash, uint256 subscriptionId, uint16 requestConfirmations)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _setVrfConfig(keyHash, subscriptionId, requestConfirmations);
    }

    /// @notice Sets the gas limit passed to the coordinator for the callback (default 250000).
    /// @param callbackGasLimit New limit, at least `CALLBACK_GAS_BUDGET`.
    function setCallbackGasLimit(uint32 callbackGasLimit) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (callbackGasLimit < CALLBACK_GAS_BUDGET) revert CallbackGasLimitTooLow(callbackGasLimit);
        _callbackGasLimit = callbackGasLimit;
        emit CallbackGasLimitSet(callbackGasLimit);
    }

    /// @notice Sets the metadata URI template (must contain `{id}`, e.g. ".../metadata/{id}.json").
    /// @param newUri New URI template.
    function setURI(string calldata newUri) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setURI(newUri);
        emit BaseURISet(newUri);
    }

    /// @notice Sets the default ERC-2981 royalty for every token.
    /// @param receiver Royalty receiver (non-zero).
    /// @param feeNumerator Royalty in basis points (≤ 10000).
    function setDefaultRoyalty(address receiver, uint96 feeNumerator) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setDefaultRoyalty(receiver, feeNumerator);
        emit DefaultRoyaltySet(receiver, feeNumerator);
    }

    // ------------------------------------------------------------------ views

    /// @notice ERC-1155 id of the pack token of `batchId`: `2**128 + batchId`.
    /// @param batchId Batch id (`< 2**96`).
    /// @return The pack token id (always `≥ 2**128`, so disjoint from song ids).
    function packTokenId(uint256 batchId) external pure returns (uint256) {
        if (batchId > MAX_BATCH_ID) revert BatchIdOutOfRange(batchId);
        return PACK_ID_OFFSET + batchId;
    }

    /// @notice Packs of `batchId` that can still be minted on either path.
    /// @param batchId Existing batch.
    /// @return Number of packs left.
    function remaining(uint256 batchId) external view returns (uint256) {
        Batch storage b = _existingBatch(batchId);
        return uint256(b.supply) - b.minted;
    }

    /// @notice Batch parameters.
    /// @param batchId Existing batch.
    /// @return price Wei per pack.
    /// @return supply Total supply.
    /// @return minted Packs minted so far.
    /// @return saleOpen Whether `buyPacks` is open.
    /// @return totalWeight Sum of the pool weights.
    function batchInfo(uint256 batchId)
        external
        view
        returns (uint256 price, uint256 supply, uint256 minted, bool saleOpen, uint256 totalWeight)
    {
        Batch storage b = _existingBatch(batchId);
        return (b.price, b.supply, b.minted, b.saleOpen, b.totalWeight);
    }

    /// @notice Song pool of a batch with each song's weight.
    /// @param batchId Existing batch.
    /// @return songIds Pool song ids.
    /// @return weights Weight of each song.
    function batchPool(uint256 batchId) external view returns (uint256[] memory songIds, uint256[] memory weights) {
        Batch storage b = _existingBatch(batchId);
        songIds = _poolSongs[batchId];
        weights = new uint256[](b.poolSize);
        uint256 previous;
        for (uint256 i = 0; i < b.poolSize; ++i) {
            uint256 running = uint32(_poolCumulative[batchId][i >> 3] >> ((i & 7) * 32));
            weights[i] = running - previous;
            previous = running;
        }
    }

    /// @notice Whether a song id is registered, and its tier.
    /// @param tokenId Song token id.
    /// @return registered True once registered.
    /// @return tier Rarity tier.
    function songInfo(uint256 tokenId) external view returns (bool registered, uint8 tier) {
        Song memory s = _songs[tokenId];
        return (s.registered, s.tier);
    }

    /// @notice Whether an order reference has already minted packs (on either path).
    /// @param orderRef Order reference.
    /// @return True if used.
    function orderRefUsed(bytes32 orderRef) external view returns (bool) {
        return _orderRefUsed[orderRef];
    }

    /// @notice Whether `holder` is a platform-run custodial wallet.
    /// @param holder Wallet address.
    /// @return True if custodial.
    function isCustodial(address holder) external view returns (bool) {
        return _custodial[holder];
    }

    /// @notice Pending open request (zeroed once fulfilled).
    /// @param requestId VRF request id.
    /// @return holder Pack holder (zero if unknown or fulfilled).
    /// @return batchId Batch of the opened pack.
    function openRequest(uint256 requestId) external view returns (address holder, uint256 batchId) {
        OpenRequest memory r = _requests[requestId];
        return (r.holder, r.batchId);
    }

    /// @notice Current VRF request settings.
    /// @return keyHash Gas lane key hash.
    /// @return subscriptionId Subscription id.
    /// @return requestConfirmations Confirmations.
    /// @return callbackGasLimit Callback gas limit.
    function vrfConfig()
        external
        view
        returns (bytes32 keyHash, uint256 subscriptionId, uint16 requestConfirmations, uint32 callbackGasLimit)
    {
        return (_keyHash, _subscriptionId, _requestConfirmations, _callbackGasLimit);
    }

    /// @inheritdoc ERC1155
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC1155, ERC2981, AccessControl)
        returns (bool)
    {
        return super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    function _registerSong(uint256 tokenId, uint8 tier) private {
        if (tokenId >= PACK_ID_OFFSET) revert SongIdOutOfRange(tokenId);
        if (_songs[tokenId].registered) revert SongAlreadyRegistered(tokenId);
        _songs[tokenId] = Song({registered: true, tier: tier});
        emit SongRegistered(tokenId, tier);
    }

    /// @dev Validates a pool and packs its running weight sums as uint32 lanes, 8 per word.
    function _packPool(uint256[] calldata songIds, uint256[] calldata weights)
        private
        view
        returns (uint256[8] memory packed, uint256 total)
    {
        uint256 n = songIds.length;
        if (n == 0 || n > MAX_POOL_SIZE) revert InvalidPoolSize(n);
        if (weights.length != n) revert LengthMismatch();
        for (uint256 i = 0; i < n; ++i) {
            uint256 songId = songIds[i];
            if (!_songs[songId].registered) revert SongNotRegistered(songId);
            if (weights[i] == 0) revert ZeroWeight(songId);
            for (uint256 j = 0; j < i; ++j) {
                if (songIds[j] == songId) revert DuplicateSong(songId);
            }
            total += weights[i];
            if (total > type(uint32).max) revert TotalWeightTooLarge(total);
            packed[i >> 3] |= total << ((i & 7) * 32);
        }
    }

    function _existingBatch(uint256 batchId) private view returns (Batch storage b) {
        b = _batches[batchId];
        if (!b.exists) revert UnknownBatch(batchId);
    }

    /// @dev Reserves `quantity` packs of the batch's supply; returns `quantity`.
    function _takeSupply(Batch storage b, uint256 batchId, uint256 quantity) private returns (uint256) {
        if (quantity == 0) revert ZeroQuantity();
        uint256 left = uint256(b.supply) - b.minted;
        if (quantity > left) revert InsufficientSupply(batchId, quantity, left);
        b.minted += uint64(quantity);
        return quantity;
    }

    function _useOrderRef(bytes32 orderRef) private {
        if (orderRef == bytes32(0)) revert ZeroOrderRef();
        if (_orderRefUsed[orderRef]) revert OrderRefAlreadyUsed(orderRef);
        _orderRefUsed[orderRef] = true;
    }

    function _openPack(address holder, uint256 batchId) private returns (uint256 requestId) {
        _existingBatch(batchId);
        uint256 packId = PACK_ID_OFFSET + batchId;
        if (balanceOf(holder, packId) == 0) revert NoPackToOpen(holder, batchId);
        _burn(holder, packId, 1);
        requestId = s_vrfCoordinator.requestRandomWords(
            VRFV2PlusClient.RandomWordsRequest({
                keyHash: _keyHash,
                subId: _subscriptionId,
                requestConfirmations: _requestConfirmations,
                callbackGasLimit: _callbackGasLimit,
                numWords: 1,
                extraArgs: VRFV2PlusClient._argsToBytes(VRFV2PlusClient.ExtraArgsV1({nativePayment: false}))
            })
        );
        _requests[requestId] = OpenRequest({holder: holder, batchId: uint96(batchId)});
        emit PackOpenRequested(requestId, holder, batchId);
    }

    function _setVrfConfig(bytes32 keyHash, uint256 subscriptionId, uint16 requestConfirmations) private {
        _keyHash = keyHash;
        _subscriptionId = subscriptionId;
        _requestConfirmations = requestConfirmations;
        emit VrfConfigSet(keyHash, subscriptionId, requestConfirmations);
    }
}
