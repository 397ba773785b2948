// PostGraphile 5 over relgate's tables, for benches/run.sh.
// Env: PG_URL (connection string), BENCH_POOL (pool size), PG_PORT (HTTP port).
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.PG_URL,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.BENCH_POOL || 10) },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PG_PORT || 5678),
    graphiql: false,
  },
  grafast: { explain: false },
};

export default preset;
