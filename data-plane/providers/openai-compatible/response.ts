/** Same wire format as OpenAI; missing usage (common on local servers) is counted by the gateway. */
export {
  fromOpenAIChat as fromCompatibleChat,
  fromOpenAIEmbeddings as fromCompatibleEmbeddings,
} from '../openai/response.js';
