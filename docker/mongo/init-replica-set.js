// Run by the mongo-init service (mongosh) until it succeeds: initiates rs0 once, then waits for a primary.
const members = [
  { _id: 0, host: 'mongo1:27017', priority: 2 },
  { _id: 1, host: 'mongo2:27017', priority: 1 },
  { _id: 2, host: 'mongo3:27017', priority: 1 },
];
try {
  rs.status();
  print('replica set rs0 already initiated');
} catch (e) {
  if (e.codeName !== 'NotYetInitialized') throw e;
  rs.initiate({ _id: 'rs0', members });
  print('replica set rs0 initiated');
}
for (let i = 0; i < 60; i++) {
  if (db.hello().isWritablePrimary || rs.status().members.some((m) => m.stateStr === 'PRIMARY')) {
    print('rs0 has a primary');
    quit(0);
  }
  sleep(1000);
}
print('rs0 has no primary after 60 s');
quit(1);
