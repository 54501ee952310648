export async function installQueueSchema(_url: string): Promise<void> {}
