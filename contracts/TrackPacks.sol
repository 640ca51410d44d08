// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {VRFConsumerBaseV2Plus} from "@chainlink/contracts/src/v0.8/vrf/dev/VRFConsumerBaseV2Plus.sol";
import {VRFV2PlusClient} from "@chainlink/contracts/src/v0.8/vrf/dev/libraries/VRFV2PlusClient.sol";

/// @title TrackPacks v2 — musical NFT trackpacks opened with Chainlink VRF v2.5
/// @notice One ERC-1155 contract holds both the song NFTs and the sealed pack tokens. A label
///         admin registers songs and creates batches; fans buy packs with native currency
///         (`buyPacks`) or the card-sales backend mints them to the fan's custodial address
///         (`mintPacks`). Opening burns a pack and asks the VRF coordinator for one word; the
///         callback draws 5 distinct songs from the batch's weighted pool and mints them.
/// @dev Custody: backend keys (minter, operator) can only ever act on `custodialAddress(userId)`,
///      an address derived by keccak from this contract and a user id. Nobody knows a private
///      key for it, so no real wallet can be custodial and no backend key can touch a
///      self-custody fan's tokens (docs/CONTRACT.md).
///      Token ids: songs `< 2**128`; the pack of batch `b` is `2**128 + b`, `b <= MAX_BATCH_ID`.
///      Roles: DEFAULT_ADMIN_ROLE (catalog, batches, VRF settings, royalties, URIs, pause,
///      proceeds), MINTER_ROLE (card mints), OPERATOR_ROLE (custodial opens and withdrawals,
///      retries). Chainlink's `ConfirmedOwner` guards only `setCoordinator`; it is handed to a
///      governance address at deployment (two-step).
contract TrackPacks is ERC1155, ERC2981, AccessControl, ReentrancyGuardTransient, VRFConsumerBaseV2Plus {
    // ------------------------------------------------------------------ constants

    /// @notice Role allowed to mint packs paid by card to a custodial address.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    /// @notice Role allowed to open packs and withdraw songs of custodial addresses.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice Domain of the custodial address derivation (see `custodialAddress`).
    bytes32 public constant CUSTODY_DOMAIN = keccak256("TrackPacks.custodial.v1");

    /// @notice Pack token id of batch `b` is `PACK_ID_OFFSET + b`; song ids are below it.
    uint256 public constant PACK_ID_OFFSET = 1 << 128;
    /// @notice Largest batch id accepted (a batch id shares the open request's storage slot).
    uint256 public constant MAX_BATCH_ID = type(uint48).max;
    /// @notice Pool size bounds: 5 distinct songs per pack, at most 64 (bounds the callback's gas).
    uint256 public constant MIN_POOL_SIZE = 5;
    uint256 public constant MAX_POOL_SIZE = 64;
    /// @notice Number of distinct songs revealed by one pack.
    uint256 public constant SONGS_PER_PACK = 5;
    /// @notice Gas the callback stays under (measured worst case in docs/GAS.md); the callback
    ///         gas limit may not go below it.
    uint32 public constant CALLBACK_GAS_BUDGET = 165_000;
    /// @notice Highest callback gas limit accepted (below the coordinators' max gas limit).
    uint32 public constant MAX_CALLBACK_GAS_LIMIT = 2_500_000;
    /// @notice Highest default royalty: 10%.
    uint96 public constant MAX_ROYALTY_BPS = 1000;
    /// @notice Seconds a request must stay unfulfilled before it can be retried (>= 1 day).
    uint32 public immutable OPEN_RETRY_DELAY;

    /// @notice `openRequest` status values.
    uint8 public constant REQUEST_NONE = 0;
    uint8 public constant REQUEST_PENDING = 1;
    uint8 public constant REQUEST_FULFILLED = 2;
    uint8 public constant REQUEST_VOID = 3;

    // ------------------------------------------------------------------ storage

    // Declared first so they share a slot with Chainlink's `s_vrfCoordinator` (20 bytes):
    // openPack reads coordinator, pause flag, confirmations and gas limit with one SLOAD.
    bool private _paused;
    bool private _urisFrozen;
    uint16 private _requestConfirmations;
    uint32 private _callbackGasLimit;

    bytes32 private _keyHash;
    uint256 private _subscriptionId;

    /// @dev One slot per batch. `poolSize == 0` means the batch does not exist.
    struct Batch {
        uint96 price; // wei per pack, > 0
        uint32 supply; // packs that may ever be minted
        uint32 minted; // packs minted so far (both paths)
        uint40 saleStart; // 0: crypto sale not scheduled
        uint40 saleEnd; // 0: no end
        uint8 poolSize; // MIN_POOL_SIZE..MAX_POOL_SIZE
    }

    /// @dev One slot per request; kept after fulfilment so a reused id is recognised.
    struct OpenRequest {
        address holder;
        uint48 batchId;
        uint40 requestedAt;
        uint8 status;
    }

    struct Song {
        bool registered;
        uint8 tier;
    }

    mapping(uint256 tokenId => Song) private _songs;
    mapping(uint256 batchId => Batch) private _batches;
    /// @dev Pool song ids in draw order, two uint128 lanes per word (lane 0 = low bits).
    mapping(uint256 batchId => uint256[32]) private _poolSongs;
    /// @dev Inclusive running weight sums in draw order as uint32 lanes: word 1 + g holds the
    ///      sums of entries 8g..8g+7; word 0 (summary) holds, in lane g, the sum at the end of
    ///      group g. Lanes past the pool are 0.
    mapping(uint256 batchId => uint256[9]) private _poolCumulative;
    mapping(uint256 requestId => OpenRequest) private _requests;

    /// @notice Card order references already minted (`mintPacks` only).
    mapping(bytes32 orderRef => bool) public cardRefUsed;
    /// @notice Operator references already used (`openPackFor` and `withdrawFor`).
    mapping(bytes32 opRef => bool) public operatorRefUsed;

    string private _contractUri;
    /// @dev Per-token URI bases set by `setTokenURIs`: index + 1 into `_tokenUriBases`.
    mapping(uint256 tokenId => uint256) private _tokenUriBase;
    string[] private _tokenUriBases;

    // ------------------------------------------------------------------ events

    event SongRegistered(uint256 indexed tokenId, uint8 tier);
    event BatchCreated(
        uint256 indexed batchId,
        uint256 indexed packTokenId,
        uint256 price,
        uint256 supply,
        uint64 saleStart,
        uint64 saleEnd,
        uint256[] songIds,
        uint256[] weights
    );
    event BatchSaleWindowSet(uint256 indexed batchId, uint64 saleStart, uint64 saleEnd);
    event BatchPriceSet(uint256 indexed batchId, uint256 price);
    event PacksPurchased(
        address indexed buyer, uint256 indexed batchId, bytes32 indexed orderRef, uint256 quantity, uint256 paid
    );
    event PacksMinted(
        address indexed to, uint256 indexed batchId, bytes32 indexed orderRef, uint256 quantity, uint256 userId
    );
    event PackOpenRequested(uint256 indexed requestId, address indexed holder, uint256 indexed batchId);
    event PackOpenRetried(
        uint256 indexed oldRequestId, uint256 indexed newRequestId, address indexed holder, uint256 batchId
    );
    event PackOpened(
        uint256 indexed requestId, address indexed holder, uint256 indexed batchId, uint256 randomWord, uint256[5] songIds
    );
    event CustodialWithdrawal(
        address indexed holder, address indexed to, uint256 indexed tokenId, uint256 amount, uint256 userId, bytes32 opRef
    );
    event ProceedsWithdrawn(address indexed treasury, uint256 amount);
    event VrfConfigSet(bytes32 keyHash, uint256 subscriptionId, uint16 requestConfirmations);
    event CallbackGasLimitSet(uint32 callbackGasLimit);
    event BaseURISet(string newUri);
    event ContractURIUpdated();
    event URIFrozen();
    event DefaultRoyaltySet(address indexed receiver, uint96 feeNumerator);
    /// @notice Same events as OpenZeppelin's Pausable.
    event Paused(address account);
    event Unpaused(address account);

    // ------------------------------------------------------------------ errors

    error SongIdOutOfRange(uint256 tokenId);
    error SongAlreadyRegistered(uint256 tokenId);
    error SongNotRegistered(uint256 tokenId);
    error BatchIdOutOfRange(uint256 batchId);
    error BatchAlreadyExists(uint256 batchId);
    error UnknownBatch(uint256 batchId);
    error InvalidPrice(uint256 price);
    error InvalidSupply(uint256 supply);
    error InvalidSaleWindow(uint64 saleStart, uint64 saleEnd);
    error InvalidPoolSize(uint256 size);
    error LengthMismatch();
    error ZeroWeight(uint256 songId);
    error DuplicateSong(uint256 songId);
    error TotalWeightTooLarge(uint256 totalWeight);
    error SaleClosed(uint256 batchId);
    error SaleStarted(uint256 batchId);
    error ZeroQuantity();
    error InsufficientSupply(uint256 batchId, uint256 requested, uint256 remaining);
    error WrongPayment(uint256 expected, uint256 sent);
    error ZeroOrderRef();
    error OrderRefAlreadyUsed(bytes32 orderRef);
    error OperatorRefAlreadyUsed(bytes32 opRef);
    error ZeroUserId();
    error NoPackToOpen(address holder, uint256 batchId);
    error RequestIdReused(uint256 requestId);
    error RequestNotPending(uint256 requestId);
    error RetryTooEarly(uint256 requestId, uint256 retryAt);
    error NotRequestHolder(address caller, address holder);
    error NotASongToken(uint256 tokenId);
    error NothingToWithdraw();
    error ProceedsTransferFailed();
    error InvalidKeyHash();
    error InvalidSubscriptionId();
    error InvalidRequestConfirmations(uint16 requestConfirmations);
    error InvalidCallbackGasLimit(uint32 callbackGasLimit);
    error RoyaltyTooHigh(uint96 feeNumerator);
    error RolesNotDistinct();
    error RetryDelayTooShort(uint32 openRetryDelay);
    error URIsFrozen();
    /// @notice Same errors as OpenZeppelin's Pausable.
    error EnforcedPause();
    error ExpectedPause();

    // ------------------------------------------------------------------ modifiers

    modifier whenNotPaused() {
        if (_paused) revert EnforcedPause();
        _;
    }

    modifier whenUrisNotFrozen() {
        if (_urisFrozen) revert URIsFrozen();
        _;
    }

    // ------------------------------------------------------------------ construction

    /// @param vrfCoordinator VRF v2.5 coordinator (or `VRFCoordinatorV2_5Mock` on a local chain).
    /// @param keyHash VRF gas lane key hash (non-zero).
    /// @param subscriptionId VRF v2.5 subscription id that pays for requests (non-zero).
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param minter Receives MINTER_ROLE.
    /// @param operator Receives OPERATOR_ROLE. Admin, minter and operator are distinct, non-zero;
    ///        the deployer gets no role (it only owns the VRF consumer until governance accepts).
    /// @param baseUri ERC-1155 metadata URI template containing `{id}`.
    /// @param royaltyReceiver Default ERC-2981 royalty receiver.
    /// @param royaltyBps Default royalty in basis points (<= MAX_ROYALTY_BPS).
    /// @param openRetryDelay Seconds before an unfulfilled opening may be retried (>= 1 day).
    constructor(
        address vrfCoordinator,
        bytes32 keyHash,
        uint256 subscriptionId,
        address admin,
        address minter,
        address operator,
        string memory baseUri,
        address royaltyReceiver,
        uint96 royaltyBps,
        uint32 openRetryDelay
    ) ERC1155(baseUri) VRFConsumerBaseV2Plus(vrfCoordinator) {
        if (admin == address(0) || minter == address(0) || operator == address(0)) revert ZeroAddress();
        if (admin == minter || admin == operator || minter == operator) revert RolesNotDistinct();
        if (openRetryDelay < 1 days) revert RetryDelayTooShort(openRetryDelay);
        OPEN_RETRY_DELAY = openRetryDelay;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, minter);
        _grantRole(OPERATOR_ROLE, operator);
        _setVrfConfig(keyHash, subscriptionId, 3);
        _callbackGasLimit = 250_000;
        emit CallbackGasLimitSet(250_000);
        _setRoyalty(royaltyReceiver, royaltyBps);
        emit BaseURISet(baseUri);
    }

    // ------------------------------------------------------------------ custody

    /// @notice The custodial address of a platform user: keccak-derived, so no private key for
    ///         it is known to anyone. Minter and operator can act only on such addresses.
    /// @param userId Platform user id (> 0).
    /// @return The address `uint160(keccak256(abi.encode(CUSTODY_DOMAIN, address(this), userId)))`.
    function custodialAddress(uint256 userId) public view returns (address) {
        if (userId == 0) revert ZeroUserId();
        return address(uint160(uint256(keccak256(abi.encode(CUSTODY_DOMAIN, address(this), userId)))));
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
    ///         opening's outcome depends only on the VRF word.
    /// @param batchId Caller-chosen id (the backend's database id), `<= MAX_BATCH_ID`, unused.
    /// @param price Wei per pack (> 0, < 2**96).
    /// @param supply Packs that may ever be minted across both sale paths (> 0, < 2**32).
    /// @param saleStart Start of the crypto sale (unix seconds; 0 = not scheduled).
    /// @param saleEnd End of the crypto sale, exclusive (0 = open-ended; else > saleStart).
    /// @param songIds 5..64 registered, distinct song ids, in draw order.
    /// @param weights Positive weight of each song; their sum must be `< 2**32`.
    function createBatch(
        uint256 batchId,
        uint256 price,
        uint256 supply,
        uint64 saleStart,
        uint64 saleEnd,
        uint256[] calldata songIds,
        uint256[] calldata weights
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (batchId > MAX_BATCH_ID) revert BatchIdOutOfRange(batchId);
        if (_batches[batchId].poolSize != 0) revert BatchAlreadyExists(batchId);
        _checkPrice(price);
        if (supply == 0 || supply > type(uint32).max) revert InvalidSupply(supply);
        _checkSaleWindow(saleStart, saleEnd);
        uint256 n = songIds.length;
        _storePool(batchId, songIds, weights);
        _batches[batchId] = Batch({
            price: uint96(price),
            supply: uint32(supply),
            minted: 0,
            saleStart: uint40(saleStart),
            saleEnd: uint40(saleEnd),
            poolSize: uint8(n)
        });
        emit BatchCreated(batchId, PACK_ID_OFFSET + batchId, price, supply, saleStart, saleEnd, songIds, weights);
    }

    /// @notice Schedules, changes or closes the crypto sale (`buyPacks`) of a batch. Card mints
    ///         are not gated by it, so payments authorised before closing are still fulfilled.
    /// @param batchId Existing batch.
    /// @param saleStart Start (0 = closed, not scheduled).
    /// @param saleEnd Exclusive end (0 = open-ended; else > saleStart). `(0, 0)` closes now.
    function setSaleWindow(uint256 batchId, uint64 saleStart, uint64 saleEnd) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Batch storage b = _existingBatch(batchId);
        _checkSaleWindow(saleStart, saleEnd);
        b.saleStart = uint40(saleStart);
        b.saleEnd = uint40(saleEnd);
        emit BatchSaleWindowSet(batchId, saleStart, saleEnd);
    }

    /// @notice Changes the wei price of a pack, only before any pack was minted and while the
    ///         sale window is not open (a buyer never meets a price changed under them).
    /// @param batchId Existing batch.
    /// @param price New price (> 0, < 2**96).
    function setBatchPrice(uint256 batchId, uint256 price) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Batch storage b = _existingBatch(batchId);
        if (b.minted != 0 || _isOpen(b)) revert SaleStarted(batchId);
        _checkPrice(price);
        b.price = uint96(price);
        emit BatchPriceSet(batchId, price);
    }

    // ------------------------------------------------------------------ sales

    /// @notice Buys `quantity` packs while the batch's sale window is open, paying exactly
    ///         `price * quantity` wei. The order reference is bound to the buyer: it is only
    ///         logged (never stored), so nobody can block anybody else's reference.
    /// @param batchId Batch to buy from.
    /// @param quantity Number of packs (> 0, <= remaining supply).
    /// @param orderRef Backend order reference (non-zero); settles only an order of this buyer.
    function buyPacks(uint256 batchId, uint256 quantity, bytes32 orderRef) external payable whenNotPaused nonReentrant {
        Batch storage b = _batches[batchId];
        if (!_isOpen(b)) {
            if (b.poolSize == 0) revert UnknownBatch(batchId);
            revert SaleClosed(batchId);
        }
        if (orderRef == bytes32(0)) revert ZeroOrderRef();
        uint256 expected = uint256(b.price) * _takeSupply(b, batchId, quantity);
        if (msg.value != expected) revert WrongPayment(expected, msg.value);
        emit PacksPurchased(msg.sender, batchId, orderRef, quantity, msg.value);
        _mint(msg.sender, PACK_ID_OFFSET + batchId, quantity, "");
    }

    /// @notice Mints packs paid by card to the user's custodial address. Not gated by the sale
    ///         window; each card reference mints once.
    /// @param userId Platform user id (> 0); packs go to `custodialAddress(userId)`.
    /// @param batchId Batch to mint from.
    /// @param quantity Number of packs (> 0, <= remaining supply).
    /// @param orderRef Card order reference (non-zero, never minted before).
    function mintPacks(uint256 userId, uint256 batchId, uint256 quantity, bytes32 orderRef)
        external
        onlyRole(MINTER_ROLE)
        whenNotPaused
    {
        address to = custodialAddress(userId);
        Batch storage b = _existingBatch(batchId);
        _takeSupply(b, batchId, quantity);
        if (orderRef == bytes32(0)) revert ZeroOrderRef();
        if (cardRefUsed[orderRef]) revert OrderRefAlreadyUsed(orderRef);
        cardRefUsed[orderRef] = true;
        emit PacksMinted(to, batchId, orderRef, quantity, userId);
        // A keyless derived address has no code: no receiver hook to run.
        _update(address(0), to, _single(PACK_ID_OFFSET + batchId), _single(quantity));
    }

    // ------------------------------------------------------------------ opening

    /// @notice Burns one of the caller's packs of `batchId` and requests randomness for it.
    /// @param batchId Batch of the pack to open.
    /// @return requestId VRF request id; `PackOpened` with the same id reveals the songs.
    function openPack(uint256 batchId) external whenNotPaused returns (uint256 requestId) {
        return _openPack(msg.sender, batchId);
    }

    /// @notice Opens a pack held by a user's custodial address.
    /// @param userId Platform user id (> 0); the holder is `custodialAddress(userId)`.
    /// @param batchId Batch of the pack to open.
    /// @param opRef Operator reference (non-zero, never used): a re-sent transaction reverts.
    /// @return requestId VRF request id.
    function openPackFor(uint256 userId, uint256 batchId, bytes32 opRef)
        external
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
        returns (uint256 requestId)
    {
        address holder = custodialAddress(userId);
        _useOperatorRef(opRef);
        return _openPack(holder, batchId);
    }

    /// @notice Requests randomness again for an opening left unfulfilled for `OPEN_RETRY_DELAY`
    ///         (underfunded subscription, wrong key hash, coordinator migration...). The old
    ///         request becomes void: its late fulfilment, if any, changes nothing.
    /// @param requestId The pending request.
    /// @return newRequestId The replacement request.
    function retryOpen(uint256 requestId) external whenNotPaused returns (uint256 newRequestId) {
        OpenRequest storage old = _requests[requestId];
        if (old.status != REQUEST_PENDING) revert RequestNotPending(requestId);
        address holder = old.holder;
        if (msg.sender != holder && !hasRole(OPERATOR_ROLE, msg.sender)) {
            revert NotRequestHolder(msg.sender, holder);
        }
        uint256 retryAt = uint256(old.requestedAt) + OPEN_RETRY_DELAY;
        if (block.timestamp < retryAt) revert RetryTooEarly(requestId, retryAt);
        old.status = REQUEST_VOID;
        uint256 batchId = old.batchId;
        newRequestId = _requestWord(holder, batchId);
        emit PackOpenRetried(requestId, newRequestId, holder, batchId);
    }

    /// @notice VRF v2.5 callback: draws and mints the 5 distinct songs of an opened pack.
    /// @dev Never reverts: unknown, fulfilled and void request ids are ignored. Songs are
    ///      minted with `_update` (no receiver hook), so a holder contract that rejects ERC-1155
    ///      transfers still receives them and cannot make the callback fail.
    function fulfillRandomWords(uint256 requestId, uint256[] calldata randomWords) internal override {
        OpenRequest storage req = _requests[requestId];
        if (req.status != REQUEST_PENDING || randomWords.length == 0) return;
        req.status = REQUEST_FULFILLED;
        address holder = req.holder;
        uint256 batchId = req.batchId;
        uint256 word = randomWords[0];

        uint256[5] memory songIds = _drawSongs(batchId, word);
        uint256[] memory ids = new uint256[](SONGS_PER_PACK);
        uint256[] memory values = new uint256[](SONGS_PER_PACK);
        for (uint256 i = 0; i < SONGS_PER_PACK; ++i) {
            ids[i] = songIds[i];
            values[i] = 1;
        }
        _update(address(0), holder, ids, values);
        emit PackOpened(requestId, holder, batchId, word, songIds);
    }

    /// @notice The draw of 5 distinct songs for a word, as the callback computes it.
    /// @param batchId Existing batch.
    /// @param word VRF random word.
    /// @return songIds Drawn songs in draw order.
    function drawSongs(uint256 batchId, uint256 word) external view returns (uint256[5] memory songIds) {
        _existingBatch(batchId);
        return _drawSongs(batchId, word);
    }

    // ------------------------------------------------------------------ custodial withdrawal

    /// @notice Moves song NFTs from a user's custodial address to a wallet (receiver hook runs).
    /// @param userId Platform user id (> 0); the holder is `custodialAddress(userId)`.
    /// @param to Destination wallet.
    /// @param tokenId Song token id (`< 2**128`; packs cannot be withdrawn).
    /// @param amount Number of copies (> 0, <= the holder's balance).
    /// @param opRef Operator reference (non-zero, never used): a re-sent transaction reverts.
    function withdrawFor(uint256 userId, address to, uint256 tokenId, uint256 amount, bytes32 opRef)
        external
        onlyRole(OPERATOR_ROLE)
        nonReentrant
    {
        address holder = custodialAddress(userId);
        if (tokenId >= PACK_ID_OFFSET) revert NotASongToken(tokenId);
        if (amount == 0) revert ZeroQuantity();
        _useOperatorRef(opRef);
        emit CustodialWithdrawal(holder, to, tokenId, amount, userId, opRef);
        _safeTransferFrom(holder, to, tokenId, amount, "");
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

    /// @notice Pauses purchases, mints and openings (VRF fulfilment and withdrawals keep working).
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) whenNotPaused {
        _paused = true;
        emit Paused(msg.sender);
    }

    /// @notice Lifts the pause.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_paused) revert ExpectedPause();
        _paused = false;
        emit Unpaused(msg.sender);
    }

    /// @notice Sets the VRF key hash, subscription id and request confirmations.
    /// @param keyHash Gas lane key hash (non-zero).
    /// @param subscriptionId VRF v2.5 subscription id (non-zero).
    /// @param requestConfirmations Block confirmations before fulfilment, 3..200.
    function setVrfConfig(bytes32 keyHash, uint256 subscriptionId, uint16 requestConfirmations)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _setVrfConfig(keyHash, subscriptionId, requestConfirmations);
    }

    /// @notice Sets the gas limit passed to the coordinator for the callback (default 250000).
    /// @param callbackGasLimit New limit in [CALLBACK_GAS_BUDGET, MAX_CALLBACK_GAS_LIMIT].
    function setCallbackGasLimit(uint32 callbackGasLimit) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (callbackGasLimit < CALLBACK_GAS_BUDGET || callbackGasLimit > MAX_CALLBACK_GAS_LIMIT) {
            revert InvalidCallbackGasLimit(callbackGasLimit);
        }
        _callbackGasLimit = callbackGasLimit;
        emit CallbackGasLimitSet(callbackGasLimit);
    }

    /// @notice Sets the default ERC-2981 royalty for every token.
    /// @param receiver Royalty receiver (non-zero).
    /// @param feeNumerator Royalty in basis points (<= MAX_ROYALTY_BPS).
    function setDefaultRoyalty(address receiver, uint96 feeNumerator) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRoyalty(receiver, feeNumerator);
    }

    // ------------------------------------------------------------------ metadata (admin)

    /// @notice Sets the default metadata URI template (with `{id}`), until `freezeURI`.
    /// @param newUri New URI template.
    function setURI(string calldata newUri) external onlyRole(DEFAULT_ADMIN_ROLE) whenUrisNotFrozen {
        _setURI(newUri);
        emit BaseURISet(newUri);
    }

    /// @notice Sets the contract-level metadata URI (ERC-7572), until `freezeURI`.
    /// @param newUri New contract URI.
    function setContractURI(string calldata newUri) external onlyRole(DEFAULT_ADMIN_ROLE) whenUrisNotFrozen {
        _contractUri = newUri;
        emit ContractURIUpdated();
    }

    /// @notice Gives each id that has no URI of its own yet the URI `baseUri + "{id}.json"`,
    ///         for good (ids that already have one are skipped). Refused after `freezeURI`.
    /// @param ids Token ids (songs or packs).
    /// @param baseUri Directory URI ending with "/", e.g. `ipfs://<CID>/`.
    function setTokenURIs(uint256[] calldata ids, string calldata baseUri)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        whenUrisNotFrozen
    {
        _tokenUriBases.push(baseUri);
        uint256 index = _tokenUriBases.length;
        string memory value = string.concat(baseUri, "{id}.json");
        for (uint256 i = 0; i < ids.length; ++i) {
            uint256 id = ids[i];
            if (_tokenUriBase[id] != 0) continue;
            _tokenUriBase[id] = index;
            emit URI(value, id);
        }
    }

    /// @notice Freezes the default URI, the contract URI and every token URI for good.
    function freezeURI() external onlyRole(DEFAULT_ADMIN_ROLE) whenUrisNotFrozen {
        _urisFrozen = true;
        emit URIFrozen();
    }

    // ------------------------------------------------------------------ views

    /// @notice Metadata URI of a token: its own (`setTokenURIs`) or the default template.
    /// @param id Token id.
    /// @return The URI, with the ERC-1155 `{id}` placeholder.
    function uri(uint256 id) public view override returns (string memory) {
        uint256 index = _tokenUriBase[id];
        if (index == 0) return super.uri(id);
        return string.concat(_tokenUriBases[index - 1], "{id}.json");
    }

    /// @notice Contract-level metadata URI (ERC-7572).
    /// @return The URI ("" until set).
    function contractURI() external view returns (string memory) {
        return _contractUri;
    }

    /// @notice Whether the URIs are frozen.
    /// @return True after `freezeURI`.
    function urisFrozen() external view returns (bool) {
        return _urisFrozen;
    }

    /// @notice Whether the contract is paused.
    /// @return True while paused.
    function paused() external view returns (bool) {
        return _paused;
    }

    /// @notice ERC-1155 id of the pack token of `batchId`: `2**128 + batchId`.
    /// @param batchId Batch id (`<= MAX_BATCH_ID`).
    /// @return The pack token id (always `>= 2**128`, so disjoint from song ids).
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

    /// @notice Whether the crypto sale of a batch is open now.
    /// @param batchId Existing batch.
    /// @return True iff `saleStart != 0 && saleStart <= now && (saleEnd == 0 || now < saleEnd)`.
    function saleOpen(uint256 batchId) external view returns (bool) {
        return _isOpen(_existingBatch(batchId));
    }

    /// @notice Batch parameters.
    /// @param batchId Existing batch.
    /// @return price Wei per pack.
    /// @return supply Total supply.
    /// @return minted Packs minted so far.
    /// @return saleStart Crypto sale start (0 = not scheduled).
    /// @return saleEnd Crypto sale end, exclusive (0 = none).
    /// @return totalWeight Sum of the pool weights.
    function batchInfo(uint256 batchId)
        external
        view
        returns (uint256 price, uint256 supply, uint256 minted, uint64 saleStart, uint64 saleEnd, uint256 totalWeight)
    {
        Batch storage b = _existingBatch(batchId);
        return (b.price, b.supply, b.minted, b.saleStart, b.saleEnd, _cumulative(_cumulativeBase(batchId), b.poolSize - 1));
    }

    /// @notice Song pool of a batch in draw order, with each song's weight.
    /// @param batchId Existing batch.
    /// @return songIds Pool song ids.
    /// @return weights Weight of each song.
    function batchPool(uint256 batchId) external view returns (uint256[] memory songIds, uint256[] memory weights) {
        uint256 n = _existingBatch(batchId).poolSize;
        uint256 cumBase = _cumulativeBase(batchId);
        uint256 songBase = _songBase(batchId);
        songIds = new uint256[](n);
        weights = new uint256[](n);
        uint256 previous;
        for (uint256 i = 0; i < n; ++i) {
            uint256 running = _cumulative(cumBase, i);
            weights[i] = running - previous;
            previous = running;
            songIds[i] = _poolSong(songBase, i);
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

    /// @notice An open request.
    /// @param requestId VRF request id.
    /// @return holder Holder of the opened pack (zero if unknown).
    /// @return batchId Batch of the opened pack.
    /// @return requestedAt Block timestamp of the request.
    /// @return status 0 none, 1 pending, 2 fulfilled, 3 void (retried).
    function openRequest(uint256 requestId)
        external
        view
        returns (address holder, uint256 batchId, uint64 requestedAt, uint8 status)
    {
        OpenRequest memory r = _requests[requestId];
        return (r.holder, r.batchId, r.requestedAt, r.status);
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

    /// @dev Validates a pool and stores its song ids (uint128 lanes) and running weight sums
    ///      (uint32 lanes).
    function _storePool(uint256 batchId, uint256[] calldata songIds, uint256[] calldata weights) private {
        uint256 n = songIds.length;
        if (n < MIN_POOL_SIZE || n > MAX_POOL_SIZE) revert InvalidPoolSize(n);
        if (weights.length != n) revert LengthMismatch();
        uint256[32] memory songWords;
        uint256[9] memory cumWords;
        uint256 total;
        for (uint256 i = 0; i < n; ++i) {
            uint256 songId = songIds[i];
            if (!_songs[songId].registered) revert SongNotRegistered(songId);
            if (weights[i] == 0) revert ZeroWeight(songId);
            for (uint256 j = 0; j < i; ++j) {
                if (songIds[j] == songId) revert DuplicateSong(songId);
            }
            total += weights[i];
            if (total > type(uint32).max) revert TotalWeightTooLarge(total);
            songWords[i >> 1] |= songId << ((i & 1) * 128);
            cumWords[1 + (i >> 3)] |= total << ((i & 7) * 32);
        }
        for (uint256 g = 0; g < (n + 7) >> 3; ++g) {
            uint256 last = g * 8 + 7 < n ? g * 8 + 7 : n - 1;
            cumWords[0] |= uint256(uint32(cumWords[1 + g] >> ((last & 7) * 32))) << (g * 32);
        }
        uint256[32] storage songSlots = _poolSongs[batchId];
        for (uint256 w = 0; w < (n + 1) >> 1; ++w) {
            songSlots[w] = songWords[w];
        }
        uint256[9] storage cumSlots = _poolCumulative[batchId];
        for (uint256 w = 0; w < 1 + ((n + 7) >> 3); ++w) {
            cumSlots[w] = cumWords[w];
        }
    }

    /// @dev Draws 5 distinct songs: for i in 0..4, `x = keccak256(abi.encode(word, i)) % remaining`
    ///      picks the song whose interval holds x on the line of the songs not drawn yet, in
    ///      pool order (the linear walk of CONTRACT_V2.md). Instead of walking, x is shifted past
    ///      the intervals of the songs already drawn (kept sorted by start), then located on the
    ///      full line: a 3-step binary search over the summary lanes (running sum at the end of
    ///      each group of 8) picks the group, another over that group's lanes picks the song.
    ///      Both give the same song (tests compare it with the walk). Lanes past the pool are 0
    ///      and count as "above x". Reads the summary word plus at most 5 group and 5 song words.
    function _drawSongs(uint256 batchId, uint256 word) private view returns (uint256[5] memory songIds) {
        uint256 cumBase = _cumulativeBase(batchId);
        uint256 songBase = _songBase(batchId);
        assembly ("memory-safe") {
            // uint32 lane i of w
            function lane(w, i) -> v {
                v := and(shr(shl(5, i), w), 0xffffffff)
            }
            // number (0..7) of leading lanes of w that are non-zero and <= x (such lanes form a
            // prefix); callers guarantee that at least one lane is zero or above x
            function below(w, x) -> n {
                let v := lane(w, 3)
                if and(iszero(iszero(v)), iszero(gt(v, x))) { n := 4 }
                v := lane(w, add(n, 1))
                if and(iszero(iszero(v)), iszero(gt(v, x))) { n := add(n, 2) }
                v := lane(w, n)
                if and(iszero(iszero(v)), iszero(gt(v, x))) { n := add(n, 1) }
            }
            let summary := sload(cumBase)
            // total weight: last lane of the summary's non-zero prefix (`below` counts up to 7)
            let left := lane(summary, 7)
            if iszero(left) { left := lane(summary, sub(below(summary, 0xffffffff), 1)) }
            // drawn intervals [start, end), sorted by start: 64-byte records in free memory
            let drawn := mload(0x40)
            for { let i := 0 } lt(i, 5) { i := add(i, 1) } {
                mstore(0x00, word)
                mstore(0x20, i)
                let x := mod(keccak256(0x00, 0x40), left)
                let k := 0
                for {} lt(k, i) { k := add(k, 1) } {
                    let record := add(drawn, shl(6, k))
                    let start := mload(record)
                    if gt(start, x) { break }
                    x := add(x, sub(mload(add(record, 0x20)), start))
                }
                let group := below(summary, x)
                let lanes := sload(add(cumBase, add(group, 1)))
                let j := below(lanes, x)
                let end := lane(lanes, j)
                let start := 0
                switch j
                case 0 { if group { start := lane(summary, sub(group, 1)) } }
                default { start := lane(lanes, sub(j, 1)) }
                for { let m := i } gt(m, k) { m := sub(m, 1) } {
                    let record := add(drawn, shl(6, m))
                    mstore(record, mload(sub(record, 0x40)))
                    mstore(add(record, 0x20), mload(sub(record, 0x20)))
                }
                let record := add(drawn, shl(6, k))
                mstore(record, start)
                mstore(add(record, 0x20), end)
                left := sub(left, sub(end, start))
                let index := or(shl(3, group), j)
                let song := shr(shl(7, and(index, 1)), sload(add(songBase, shr(1, index))))
                mstore(add(songIds, shl(5, i)), and(song, 0xffffffffffffffffffffffffffffffff))
            }
        }
    }

    function _cumulativeBase(uint256 batchId) private view returns (uint256 base) {
        uint256[9] storage slots = _poolCumulative[batchId];
        assembly ("memory-safe") {
            base := slots.slot
        }
    }

    function _songBase(uint256 batchId) private view returns (uint256 base) {
        uint256[32] storage slots = _poolSongs[batchId];
        assembly ("memory-safe") {
            base := slots.slot
        }
    }

    /// @dev Running weight sum of pool entry `i` (uint32 lane `i % 8` of group word `1 + i / 8`).
    function _cumulative(uint256 base, uint256 i) private view returns (uint256 value) {
        assembly ("memory-safe") {
            value := and(shr(shl(5, and(i, 7)), sload(add(base, add(1, shr(3, i))))), 0xffffffff)
        }
    }

    /// @dev Song id of pool entry `i` (uint128 lane `i % 2` of word `i / 2`).
    function _poolSong(uint256 base, uint256 i) private view returns (uint256 value) {
        assembly ("memory-safe") {
            value := and(shr(shl(7, and(i, 1)), sload(add(base, shr(1, i)))), 0xffffffffffffffffffffffffffffffff)
        }
    }

    function _existingBatch(uint256 batchId) private view returns (Batch storage b) {
        b = _batches[batchId];
        if (b.poolSize == 0) revert UnknownBatch(batchId);
    }

    function _isOpen(Batch storage b) private view returns (bool) {
        uint256 start = b.saleStart;
        uint256 end = b.saleEnd;
        return start != 0 && start <= block.timestamp && (end == 0 || block.timestamp < end);
    }

    function _checkPrice(uint256 price) private pure {
        if (price == 0 || price > type(uint96).max) revert InvalidPrice(price);
    }

    function _checkSaleWindow(uint64 saleStart, uint64 saleEnd) private pure {
        bool valid = saleStart <= type(uint40).max && saleEnd <= type(uint40).max
            && (saleEnd == 0 || (saleStart != 0 && saleEnd > saleStart));
        if (!valid) revert InvalidSaleWindow(saleStart, saleEnd);
    }

    /// @dev Reserves `quantity` packs of the batch's supply; returns `quantity`.
    function _takeSupply(Batch storage b, uint256 batchId, uint256 quantity) private returns (uint256) {
        if (quantity == 0) revert ZeroQuantity();
        uint256 left = uint256(b.supply) - b.minted;
        if (quantity > left) revert InsufficientSupply(batchId, quantity, left);
        b.minted += uint32(quantity);
        return quantity;
    }

    function _useOperatorRef(bytes32 opRef) private {
        if (opRef == bytes32(0)) revert ZeroOrderRef();
        if (operatorRefUsed[opRef]) revert OperatorRefAlreadyUsed(opRef);
        operatorRefUsed[opRef] = true;
    }

    function _openPack(address holder, uint256 batchId) private returns (uint256 requestId) {
        // A pack exists only for an existing batch: no batch lookup needed.
        if (batchId > MAX_BATCH_ID) revert BatchIdOutOfRange(batchId);
        uint256 packId = PACK_ID_OFFSET + batchId;
        if (balanceOf(holder, packId) == 0) revert NoPackToOpen(holder, batchId);
        _update(holder, address(0), _single(packId), _single(1));
        requestId = _requestWord(holder, batchId);
        emit PackOpenRequested(requestId, holder, batchId);
    }

    /// @dev Asks the coordinator for one word and records the request as pending.
    function _requestWord(address holder, uint256 batchId) private returns (uint256 requestId) {
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
        OpenRequest storage req = _requests[requestId];
        if (req.status != REQUEST_NONE) revert RequestIdReused(requestId);
        _requests[requestId] = OpenRequest({
            holder: holder,
            batchId: uint48(batchId),
            requestedAt: uint40(block.timestamp),
            status: REQUEST_PENDING
        });
    }

    function _setVrfConfig(bytes32 keyHash, uint256 subscriptionId, uint16 requestConfirmations) private {
        if (keyHash == bytes32(0)) revert InvalidKeyHash();
        if (subscriptionId == 0) revert InvalidSubscriptionId();
        if (requestConfirmations < 3 || requestConfirmations > 200) {
            revert InvalidRequestConfirmations(requestConfirmations);
        }
        _keyHash = keyHash;
        _subscriptionId = subscriptionId;
        _requestConfirmations = requestConfirmations;
        emit VrfConfigSet(keyHash, subscriptionId, requestConfirmations);
    }

    function _setRoyalty(address receiver, uint96 feeNumerator) private {
        if (feeNumerator > MAX_ROYALTY_BPS) revert RoyaltyTooHigh(feeNumerator);
        _setDefaultRoyalty(receiver, feeNumerator);
        emit DefaultRoyaltySet(receiver, feeNumerator);
    }

    function _single(uint256 value) private pure returns (uint256[] memory array) {
        array = new uint256[](1);
        array[0] = value;
    }
}
