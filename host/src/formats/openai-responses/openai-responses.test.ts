import { runCodecContract } from '../contract.test-suite.js';
import { openaiResponsesFormat } from './index.js';

runCodecContract(openaiResponsesFormat);
