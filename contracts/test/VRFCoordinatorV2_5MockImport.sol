// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {VRFCoordinatorV2_5Mock} from "@chainlink/contracts/src/v0.8/vrf/mocks/VRFCoordinatorV2_5Mock.sol";

// Brownie only emits build artifacts for contracts declared in the project and for their
// dependencies, so this empty subclass makes Chainlink's unmodified VRFCoordinatorV2_5Mock
// available to tests and scripts as `VRFCoordinatorV2_5Mock` (local chains only).
contract VRFCoordinatorV2_5MockImport is VRFCoordinatorV2_5Mock {
    constructor(uint96 baseFee, uint96 gasPrice, int256 weiPerUnitLink)
        VRFCoordinatorV2_5Mock(baseFee, gasPrice, weiPerUnitLink)
    {}
}
