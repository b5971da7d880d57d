/** generated-domain gives every App a Domain under the daemon's `--base-domain`, and keeps each App's `status.url`. */
export { GeneratedDomainController, createGeneratedDomainController, type GeneratedDomainControllerOptions } from "./generated-domain-controller.ts";
export { generatedHost, generatedDomainName, appUrl, boundedLabel, wantsGeneratedDomain, OPT_OUT, GENERATED_LABEL, type GeneratedDomainOptions } from "./generated-domain.ts";
