export function runStoreContractTests(): void {}
