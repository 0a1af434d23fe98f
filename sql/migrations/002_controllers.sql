-- 002: the four joint controllers of the Centrale Registratietool, as named in its privacy
-- statement (seeds/in-gent-privacyverklaring-centrale-registratietool.txt, §1 and §10).
INSERT INTO controllers (id, code, name, kbo_number, seat_address, dpo_email, dpo_address) VALUES
  (1, 'agii', 'Agentschap Integratie en Inburgering', '0543.307.391',
   'Havenlaan 86C, bus 212, 1000 Brussel', 'dpo@integratie-inburgering.be',
   'AgII, t.a.v. de functionaris voor gegevensbescherming (DPO), Havenlaan 86C, bus 212, 1000 Brussel'),
  (2, 'huis', 'Het Huis van het Nederlands Brussel', '0862.910.119',
   'Philippe de Champagnestraat 23, 1000 Brussel', 'privacy@huisnederlandsbrussel.be',
   'Het Huis van het Nederlands Brussel, t.a.v. de functionaris voor gegevensbescherming (DPO), Philippe de Champagnestraat 23, 1000 Brussel'),
  (3, 'atlas', 'Atlas (Antwerpen)', '0421.722.346',
   'Carnotstraat 110, 2060 Antwerpen', 'atlas.dpo@antwerpen.be',
   'Atlas, t.a.v. de functionaris voor gegevensbescherming (DPO), Carnotstraat 110, 2060 Antwerpen'),
  (4, 'ingent', 'Integratie en Inburgering Gent', '0507.873.093',
   'Kongostraat 42, 9000 Gent', 'GDPR@in-gent.be',
   'IN-Gent vzw, t.a.v. de functionaris voor gegevensbescherming (DPO), Kongostraat 42, 9000 Gent')
ON CONFLICT (id) DO NOTHING;
