// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {VRFV2PlusClient} from "@chainlink/contracts/src/v0.8/vrf/dev/libraries/VRFV2PlusClient.sol";

interface IRawFulfil {
    function rawFulfillRandomWords(uint256 requestId, uint256[] calldata randomWords) external;
}

/// @notice Test-only coordinator that answers every request with the same, settable request id
///         (a faulty or malicious coordinator), and fulfils with chosen words.
contract RepeatingCoordinator {
    uint256 public nextId = 1;

    event Requested(uint256 requestId, bytes32 keyHash, uint256 subId, uint16 confirmations, uint32 gasLimit);

    function setNextId(uint256 id) external {
        nextId = id;
    }

    function requestRandomWords(VRFV2PlusClient.RandomWordsRequest calldata req) external returns (uint256) {
        emit Requested(nextId, req.keyHash, req.subId, req.requestConfirmations, req.callbackGasLimit);
        return nextId;
    }

    function fulfil(address consumer, uint256 requestId, uint256 word) external {
        uint256[] memory words = new uint256[](1);
        words[0] = word;
        IRawFulfil(consumer).rawFulfillRandomWords(requestId, words);
    }
}
