// The baseline of bench:gateway: a bare Fastify route answering the same JSON as GET /v1/me.
import Fastify from 'fastify';

const body: unknown = JSON.parse(process.env.BODY ?? '{}');
const app = Fastify();
app.get('/v1/me', async () => body);
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(
  () => console.log('ready'),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
