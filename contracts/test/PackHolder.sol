// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface ITrackPacksForHolder {
    function buyPacks(uint256 batchId, uint256 quantity, bytes32 orderRef) external payable;
    function openPack(uint256 batchId) external returns (uint256);
}

/// @notice Test-only contract wallet: buys and opens packs, and can be told to reject
///         every incoming ERC-1155 transfer (to prove the VRF callback cannot be blocked).
contract PackHolder {
    bool public rejecting;

    error Rejected();

    /// @notice Turns rejection of incoming ERC-1155 transfers on or off.
    function setRejecting(bool value) external {
        rejecting = value;
    }

    /// @notice Buys packs with the attached value.
    function buy(address trackPacks, uint256 batchId, uint256 quantity, bytes32 orderRef) external payable {
        ITrackPacksForHolder(trackPacks).buyPacks{value: msg.value}(batchId, quantity, orderRef);
    }

    /// @notice Opens `count` packs in one transaction (keeps large statistical tests fast).
    function openMany(address trackPacks, uint256 batchId, uint256 count) external {
        for (uint256 i = 0; i < count; ++i) {
            ITrackPacksForHolder(trackPacks).openPack(batchId);
        }
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external view returns (bytes4) {
        if (rejecting) revert Rejected();
        return this.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        view
        returns (bytes4)
    {
        if (rejecting) revert Rejected();
        return this.onERC1155BatchReceived.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x4e2312e0 || interfaceId == 0x01ffc9a7;
    }
}
