// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IVRFMockFulfil {
    function fulfillRandomWordsWithOverride(uint256 requestId, address consumer, uint256[] memory words) external;
}

/// @notice Test-only helper: asks the VRF mock to fulfil many requests with chosen words in
///         one transaction (the mock still calls the consumer once per request).
contract BatchFulfiller {
    function fulfilMany(address coordinator, address consumer, uint256[] calldata requestIds, uint256[] calldata words)
        external
    {
        uint256[] memory one = new uint256[](1);
        for (uint256 i = 0; i < requestIds.length; ++i) {
            one[0] = words[i];
            IVRFMockFulfil(coordinator).fulfillRandomWordsWithOverride(requestIds[i], consumer, one);
        }
    }
}
