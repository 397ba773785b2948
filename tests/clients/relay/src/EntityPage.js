// Pages that show an entity: by its global id through `Query.node` (an
// abstract type, so the fragments are spread with `@alias`), and by its
// source's key.
import { graphql } from 'relay-runtime';

export const EntityPage = graphql`
  query EntityPageQuery($id: ID!) {
    node(id: $id) {
      id
      ...EntityRelations_entity @alias
      ...EntityRelated_entity @alias
    }
  }
`;

export const EntityByKey = graphql`
  query EntityPageByKeyQuery($source: String!, $kind: String, $externalId: String!) {
    entity(source: $source, kind: $kind, externalId: $externalId) {
      ...EntityRelations_entity
      ...EntityRelated_entity
    }
  }
`;
